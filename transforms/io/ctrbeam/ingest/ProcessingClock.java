package io.ctrbeam.ingest;

import java.io.Serializable;

/** The processing-time clock a streaming parse judges BAD_TIMESTAMP against, read per record. */
@FunctionalInterface
public interface ProcessingClock extends Serializable {
  long nowMillis();

  /** The machine's clock. */
  static ProcessingClock system() {
    return System::currentTimeMillis;
  }
}
