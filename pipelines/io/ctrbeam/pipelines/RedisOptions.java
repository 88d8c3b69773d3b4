package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the Redis hot tier is. */
public interface RedisOptions extends PipelineOptions {
  @Description("Redis host of the hot tier")
  @Default.String("localhost")
  String getRedisHost();

  void setRedisHost(String value);

  @Description("Redis port")
  @Default.Integer(6379)
  int getRedisPort();

  void setRedisPort(int value);
}
