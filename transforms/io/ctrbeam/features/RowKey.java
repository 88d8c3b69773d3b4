package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * What the as-of steps need of a training row: its id, times, click and entity keys. The row itself
 * moves once, into {@link AttachAnswers}; the ten query and click-event steps read this projection
 * instead, so a runner that copies a collection per consumer (Flink's batch runner serializes it
 * once per consumer) copies ~80 bytes, not the whole row.
 */
final class RowKey {
  final String impressionId;
  final int clicked;
  final long eventTime;

  /** The click that made the row positive, or {@link Long#MIN_VALUE}. */
  final long clickTime;

  final String user;
  final String ad;
  final String advertiser;
  final String category;

  private RowKey(
      String impressionId,
      int clicked,
      long eventTime,
      long clickTime,
      String user,
      String ad,
      String advertiser,
      String category) {
    this.impressionId = impressionId;
    this.clicked = clicked;
    this.eventTime = eventTime;
    this.clickTime = clickTime;
    this.user = user;
    this.ad = ad;
    this.advertiser = advertiser;
    this.category = category;
  }

  static RowKey of(TrainingExample e) {
    return new RowKey(
        e.getImpressionId(),
        e.getClicked(),
        e.getEventTime().toEpochMilli(),
        e.getClickTime() == null ? Long.MIN_VALUE : e.getClickTime().toEpochMilli(),
        e.getUserId(),
        e.getAdId(),
        e.getAdvertiserId(),
        e.getAdCategory());
  }

  /** Same as {@link AttachAnswers#rowId}. */
  String rowId() {
    return impressionId + "#" + clicked;
  }

  boolean hasClick() {
    return clicked == 1 && clickTime != Long.MIN_VALUE;
  }

  /** The rows' keys, at the rows' timestamps. */
  static PCollection<RowKey> of(String name, PCollection<TrainingExample> rows) {
    return rows.apply(name, ParDo.of(new OfFn())).setCoder(Coder.INSTANCE);
  }

  private static final class OfFn extends DoFn<TrainingExample, RowKey> {
    @ProcessElement
    public void process(@Element TrainingExample e, OutputReceiver<RowKey> out) {
      out.output(of(e));
    }
  }

  static final class Coder extends AtomicCoder<RowKey> {
    static final Coder INSTANCE = new Coder();

    @Override
    public void encode(RowKey k, OutputStream os) throws IOException {
      // Built in a buffer and written in one call: runners' output views pay per call.
      ByteArrayOutputStream buf = new ByteArrayOutputStream(96);
      DataOutputStream out = new DataOutputStream(buf);
      out.writeUTF(k.impressionId);
      out.writeByte(k.clicked);
      out.writeLong(k.eventTime);
      out.writeLong(k.clickTime);
      writeNullable(out, k.user);
      writeNullable(out, k.ad);
      writeNullable(out, k.advertiser);
      writeNullable(out, k.category);
      buf.writeTo(os);
    }

    @Override
    public RowKey decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      return new RowKey(
          in.readUTF(),
          in.readByte(),
          in.readLong(),
          in.readLong(),
          readNullable(in),
          readNullable(in),
          readNullable(in),
          readNullable(in));
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
      out.writeBoolean(s != null);
      if (s != null) {
        out.writeUTF(s);
      }
    }

    private static String readNullable(DataInputStream in) throws IOException {
      return in.readBoolean() ? in.readUTF() : null;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
