package io.ctrbeam.features;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;

/** Encodes a {@link DecayedSum} as (λ, empty, anchor, value). */
public final class DecayedSumCoder extends CustomCoder<DecayedSum> {
  private static final DecayedSumCoder INSTANCE = new DecayedSumCoder();

  public static DecayedSumCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(DecayedSum s, OutputStream os) throws IOException {
    write(s, new DataOutputStream(os));
  }

  @Override
  public DecayedSum decode(InputStream is) throws IOException {
    return read(new DataInputStream(is));
  }

  static void write(DecayedSum s, DataOutputStream out) throws IOException {
    out.writeDouble(s.lambdaPerMs());
    out.writeBoolean(s.isEmpty());
    out.writeLong(s.anchorMillis());
    out.writeDouble(s.valueAtAnchor());
    out.flush();
  }

  static DecayedSum read(DataInputStream in) throws IOException {
    double lambda = in.readDouble();
    boolean empty = in.readBoolean();
    long anchor = in.readLong();
    double value = in.readDouble();
    return empty ? new DecayedSum(lambda) : DecayedSum.of(lambda, anchor, value);
  }

  @Override
  public void verifyDeterministic() {}
}
