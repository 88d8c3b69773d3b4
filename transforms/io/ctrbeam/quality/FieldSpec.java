package io.ctrbeam.quality;

import java.io.Serializable;

/**
 * One profiled field: its name, position in the Avro record, kind, and whether the schema requires
 * it.
 */
public record FieldSpec(String name, int pos, FieldKind kind, boolean required)
    implements Serializable {}
