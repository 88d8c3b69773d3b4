package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The inputs of {@link LabelImpressions}: parsed, validated, de-duplicated impressions, clicks and
 * (optionally) conversions, each timestamped with its event_time.
 */
public final class LabelInputs implements PInput {
  public static final TupleTag<Impression> IMPRESSIONS = new TupleTag<Impression>("impressions") {};
  public static final TupleTag<Click> CLICKS = new TupleTag<Click>("clicks") {};
  public static final TupleTag<Conversion> CONVERSIONS = new TupleTag<Conversion>("conversions") {};

  private final PCollection<Impression> impressions;
  private final PCollection<Click> clicks;
  private final PCollection<Conversion> conversions;

  private LabelInputs(
      PCollection<Impression> impressions,
      PCollection<Click> clicks,
      PCollection<Conversion> conversions) {
    checkArgument(
        impressions != null && clicks != null,
        "impressions and clicks must be given, got %s and %s",
        impressions,
        clicks);
    this.impressions = impressions;
    this.clicks = clicks;
    this.conversions = conversions;
  }

  public static LabelInputs of(
      PCollection<Impression> impressions,
      PCollection<Click> clicks,
      PCollection<Conversion> conversions) {
    return new LabelInputs(impressions, clicks, conversions);
  }

  /** Inputs without conversions: every example has converted = 0. */
  public static LabelInputs of(PCollection<Impression> impressions, PCollection<Click> clicks) {
    return new LabelInputs(impressions, clicks, null);
  }

  public PCollection<Impression> impressions() {
    return impressions;
  }

  public PCollection<Click> clicks() {
    return clicks;
  }

  /** The conversions, or null. */
  public PCollection<Conversion> conversions() {
    return conversions;
  }

  /** Applies a transform to these inputs, e.g. {@link LabelImpressions}. */
  public <OutputT extends POutput> OutputT apply(
      String name, PTransform<? super LabelInputs, OutputT> transform) {
    return Pipeline.applyTransform(name, this, transform);
  }

  @Override
  public Pipeline getPipeline() {
    return impressions.getPipeline();
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    Map<TupleTag<?>, PValue> m = new LinkedHashMap<>();
    m.put(IMPRESSIONS, impressions);
    m.put(CLICKS, clicks);
    if (conversions != null) {
      m.put(CONVERSIONS, conversions);
    }
    return m;
  }
}
