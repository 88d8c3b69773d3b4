package io.ctrbeam.quality;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;

/**
 * Encodes a {@link ProfileAccumulator}: counts as longs, sketches in their DataSketches binary
 * form.
 */
final class ProfileAccumulatorCoder extends CustomCoder<ProfileAccumulator> {
  static final ProfileAccumulatorCoder INSTANCE = new ProfileAccumulatorCoder();

  @Override
  public void encode(ProfileAccumulator a, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    out.writeLong(a.records);
    out.writeLong(a.earliest);
    out.writeLong(a.latest);
    out.writeInt(a.fields.length);
    for (FieldState f : a.fields) {
      f.write(out);
    }
    out.flush();
  }

  @Override
  public ProfileAccumulator decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    long records = in.readLong();
    long earliest = in.readLong();
    long latest = in.readLong();
    FieldState[] fields = new FieldState[in.readInt()];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = FieldState.read(in);
    }
    ProfileAccumulator a = new ProfileAccumulator(fields);
    a.records = records;
    a.earliest = earliest;
    a.latest = latest;
    return a;
  }

  @Override
  public void verifyDeterministic() {}
}
