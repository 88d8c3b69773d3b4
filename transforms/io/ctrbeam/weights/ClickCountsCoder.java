package io.ctrbeam.weights;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;

/**
 * A compact coder for {@link ClickCounts}: a count, then (context, position, ad, impressions,
 * clicks) per cell.
 */
public final class ClickCountsCoder extends AtomicCoder<ClickCounts> {
  private static final ClickCountsCoder INSTANCE = new ClickCountsCoder();

  private ClickCountsCoder() {}

  public static ClickCountsCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(ClickCounts value, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    Map<ClickCounts.Cell, long[]> cells = value.cells();
    out.writeInt(cells.size());
    for (Map.Entry<ClickCounts.Cell, long[]> e : cells.entrySet()) {
      out.writeUTF(e.getKey().context());
      out.writeInt(e.getKey().position());
      out.writeUTF(e.getKey().ad());
      out.writeLong(e.getValue()[0]);
      out.writeLong(e.getValue()[1]);
    }
    out.flush();
  }

  @Override
  public ClickCounts decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    int n = in.readInt();
    if (n < 0) {
      throw new CoderException("negative cell count " + n);
    }
    ClickCounts c = new ClickCounts();
    for (int i = 0; i < n; i++) {
      c.add(in.readUTF(), in.readInt(), in.readUTF(), in.readLong(), in.readLong());
    }
    return c;
  }

  @Override
  public void verifyDeterministic() throws NonDeterministicException {
    throw new NonDeterministicException(this, "cells are encoded in hash-map order");
  }
}
