package io.ctrbeam.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** What {@link EntityStore} keeps per entity besides its slices. */
final class EntityEntry<S> {
  S folded;

  /** Events at or before this time are in {@link #folded}. */
  long horizon = Long.MIN_VALUE;

  long lastEvent = Long.MIN_VALUE;

  /** Slices firstSlice..lastSlice may hold events; none when first > last. */
  long firstSlice = 1;

  long lastSlice = 0;

  /** The expiry registered in the GC index (Long.MIN_VALUE: none). */
  long gcAt = Long.MIN_VALUE;

  /** Only a residue is left (no window state). */
  boolean residue;

  EntityEntry(S folded) {
    this.folded = folded;
  }

  boolean hasSlices() {
    return firstSlice <= lastSlice;
  }

  /** Encodes an entry with the lookup's state coder. */
  static final class EntryCoder<S> extends CustomCoder<EntityEntry<S>> {
    private static final Coder<Long> LONG = VarLongCoder.of();
    private final Coder<S> stateCoder;

    EntryCoder(Coder<S> stateCoder) {
      this.stateCoder = stateCoder;
    }

    @Override
    public void encode(EntityEntry<S> e, OutputStream os) throws IOException {
      stateCoder.encode(e.folded, os);
      LONG.encode(e.horizon, os);
      LONG.encode(e.lastEvent, os);
      LONG.encode(e.firstSlice, os);
      LONG.encode(e.lastSlice, os);
      LONG.encode(e.gcAt, os);
      os.write(e.residue ? 1 : 0);
    }

    @Override
    public EntityEntry<S> decode(InputStream is) throws IOException {
      EntityEntry<S> e = new EntityEntry<>(stateCoder.decode(is));
      e.horizon = LONG.decode(is);
      e.lastEvent = LONG.decode(is);
      e.firstSlice = LONG.decode(is);
      e.lastSlice = LONG.decode(is);
      e.gcAt = LONG.decode(is);
      e.residue = is.read() == 1;
      return e;
    }
  }
}
