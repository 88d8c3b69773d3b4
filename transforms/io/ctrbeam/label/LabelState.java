package io.ctrbeam.label;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** The per-id values a bucket of {@link StatefulLabelFn} keeps, with their coders. */
final class LabelState {
  private LabelState() {}

  /** A primary still kept to build its positive; negEmitted once its negative row went out. */
  static final class PendingPrimary {
    final TrainingExample row;
    final boolean negEmitted;

    PendingPrimary(TrainingExample row, boolean negEmitted) {
      this.row = row;
      this.negEmitted = negEmitted;
    }
  }

  /**
   * What is left of a decided primary: its times, the label last emitted, for a positive the
   * outcome that dated it (so an earlier one processed later can correct it), and the row's entity
   * keys (so a correction says which feature keys it touches).
   */
  static final class Tombstone {
    final long primaryTime;
    final long impressionTime;
    final int label;
    final Outcome positive;
    final EntityKeys keys;

    Tombstone(long primaryTime, long impressionTime, int label, Outcome positive, EntityKeys keys) {
      this.primaryTime = primaryTime;
      this.impressionTime = impressionTime;
      this.label = label;
      this.positive = positive;
      this.keys = keys;
    }

    Tombstone positive(Outcome o) {
      return new Tombstone(primaryTime, impressionTime, 1, o, keys);
    }
  }

  /** The entity keys of a row: user, ad, advertiser and category (any may be null). */
  record EntityKeys(String user, String ad, String advertiser, String category) {
    static EntityKeys of(TrainingExample row) {
      return new EntityKeys(
          row.getUserId(), row.getAdId(), row.getAdvertiserId(), row.getAdCategory());
    }
  }

  /** What a due entry of the time index refers to. */
  enum DueKind {
    /** A pending primary: its negative or its release. */
    PENDING,
    /** A tombstone's expiry. */
    TOMBSTONE,
    /** An outcome buffered before its primary: its orphan deadline. */
    EARLY
  }

  /** One entry of the time index: an id of some kind, due at a time. */
  static final class Due {
    final DueKind kind;
    final String id;
    final long at;

    Due(DueKind kind, String id, long at) {
      this.kind = kind;
      this.id = id;
      this.at = at;
    }
  }

  /** The entries due within one time slice. */
  static final class Slice {
    final List<Due> entries;

    Slice(List<Due> entries) {
      this.entries = entries;
    }

    long earliest() {
      long m = Long.MAX_VALUE;
      for (Due d : entries) {
        m = Math.min(m, d.at);
      }
      return m;
    }
  }

  static final class PendingPrimaryCoder extends CustomCoder<PendingPrimary> {
    private static final Coder<TrainingExample> ROW = TrainingRows.CODER;

    @Override
    public void encode(PendingPrimary h, OutputStream out) throws IOException {
      BooleanCoder.of().encode(h.negEmitted, out);
      ROW.encode(h.row, out);
    }

    @Override
    public PendingPrimary decode(InputStream in) throws IOException {
      boolean neg = BooleanCoder.of().decode(in);
      return new PendingPrimary(ROW.decode(in), neg);
    }
  }

  static final class TombstoneCoder extends CustomCoder<Tombstone> {
    private static final Coder<String> KEY = NullableCoder.of(StringUtf8Coder.of());

    @Override
    public void encode(Tombstone t, OutputStream out) throws IOException {
      VarLongCoder.of().encode(t.primaryTime, out);
      VarLongCoder.of().encode(t.impressionTime, out);
      VarIntCoder.of().encode(t.label, out);
      BooleanCoder.of().encode(t.positive != null, out);
      if (t.positive != null) {
        Outcome.OutcomeCoder.of().encode(t.positive, out);
      }
      for (String k :
          new String[] {t.keys.user(), t.keys.ad(), t.keys.advertiser(), t.keys.category()}) {
        KEY.encode(k, out);
      }
    }

    @Override
    public Tombstone decode(InputStream in) throws IOException {
      long p = VarLongCoder.of().decode(in);
      long i = VarLongCoder.of().decode(in);
      int label = VarIntCoder.of().decode(in);
      Outcome o = BooleanCoder.of().decode(in) ? Outcome.OutcomeCoder.of().decode(in) : null;
      EntityKeys keys =
          new EntityKeys(KEY.decode(in), KEY.decode(in), KEY.decode(in), KEY.decode(in));
      return new Tombstone(p, i, label, o, keys);
    }
  }

  static final class SliceCoder extends CustomCoder<Slice> {
    @Override
    public void encode(Slice s, OutputStream out) throws IOException {
      VarIntCoder.of().encode(s.entries.size(), out);
      for (Due d : s.entries) {
        VarIntCoder.of().encode(d.kind.ordinal(), out);
        StringUtf8Coder.of().encode(d.id, out);
        VarLongCoder.of().encode(d.at, out);
      }
    }

    @Override
    public Slice decode(InputStream in) throws IOException {
      int n = VarIntCoder.of().decode(in);
      List<Due> xs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        DueKind k = DueKind.values()[VarIntCoder.of().decode(in)];
        xs.add(new Due(k, StringUtf8Coder.of().decode(in), VarLongCoder.of().decode(in)));
      }
      return new Slice(xs);
    }
  }
}
