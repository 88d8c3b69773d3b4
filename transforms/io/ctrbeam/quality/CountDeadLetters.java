package io.ctrbeam.quality;

import io.ctrbeam.schema.DeadLetter;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.PCollection;

/**
 * Dead letters to {@link DeadLetterCounts}, one per window, by a combine. A dead letter names its
 * field when its message starts with a field of its type (ingest writes e.g. {@code "user_id is
 * missing or null"}).
 */
public final class CountDeadLetters
    extends PTransform<PCollection<DeadLetter>, PCollection<DeadLetterCounts>> {
  private CountDeadLetters() {}

  public static CountDeadLetters create() {
    return new CountDeadLetters();
  }

  @Override
  public PCollection<DeadLetterCounts> expand(PCollection<DeadLetter> input) {
    Combine.Globally<DeadLetter, DeadLetterCounts> c = Combine.globally(new CountFn());
    boolean global = input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
    return input
        .apply("CountByTypeAndReason", global ? c : c.withoutDefaults())
        .setCoder(SerializableCoder.of(DeadLetterCounts.class));
  }

  /** Maps of counts; small (types × fields × reasons). */
  static final class Counts implements Serializable {
    final HashMap<String, HashMap<String, Long>> byType = new HashMap<>();
    final HashMap<String, HashMap<String, Long>> byField = new HashMap<>();

    void add(Map<String, HashMap<String, Long>> into, String key, String reason, long n) {
      into.computeIfAbsent(key, k -> new HashMap<>()).merge(reason, n, Long::sum);
    }
  }

  static final class CountFn extends Combine.CombineFn<DeadLetter, Counts, DeadLetterCounts> {
    @Override
    public Counts createAccumulator() {
      return new Counts();
    }

    @Override
    public Counts addInput(Counts a, DeadLetter d) {
      a.add(a.byType, d.getRecordType(), d.getReason(), 1);
      String field = field(d.getRecordType(), d.getMessage());
      if (field != null) {
        a.add(a.byField, d.getRecordType() + "." + field, d.getReason(), 1);
      }
      return a;
    }

    @Override
    public Counts mergeAccumulators(Iterable<Counts> accumulators) {
      Counts out = new Counts();
      for (Counts c : accumulators) {
        c.byType.forEach((k, m) -> m.forEach((r, n) -> out.add(out.byType, k, r, n)));
        c.byField.forEach((k, m) -> m.forEach((r, n) -> out.add(out.byField, k, r, n)));
      }
      return out;
    }

    @Override
    public DeadLetterCounts extractOutput(Counts a) {
      return new DeadLetterCounts(Map.copyOf(a.byType), Map.copyOf(a.byField));
    }

    @Override
    public Coder<Counts> getAccumulatorCoder(CoderRegistry registry, Coder<DeadLetter> inputCoder) {
      return SerializableCoder.of(Counts.class);
    }
  }

  private static final Map<String, Set<String>> FIELDS = fieldNames();

  private static Map<String, Set<String>> fieldNames() {
    Map<String, Set<String>> m = new HashMap<>();
    for (RecordFields r :
        new RecordFields[] {RecordFields.IMPRESSION, RecordFields.CLICK, RecordFields.CONVERSION}) {
      m.put(r.recordType(), Set.copyOf(r.fields().stream().map(FieldSpec::name).toList()));
    }
    return m;
  }

  /** The field a dead letter's message starts with, or null. */
  static String field(String recordType, String message) {
    if (message == null) {
      return null;
    }
    int end = 0;
    while (end < message.length()
        && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '_')) {
      end++;
    }
    String first = message.substring(0, end);
    return FIELDS.getOrDefault(recordType, Set.of()).contains(first) ? first : null;
  }
}
