package io.ctrbeam.ingest;

import io.ctrbeam.common.Reason;

/** A record that breaks a contract §6 rule; carries the reason code for its dead letter. */
final class InvalidRecordException extends Exception {
  private final Reason reason;

  InvalidRecordException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  Reason reason() {
    return reason;
  }
}
