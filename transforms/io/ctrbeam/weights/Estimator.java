package io.ctrbeam.weights;

/** Which propensity estimate the weights use. */
public enum Estimator {
  /** The seed's CTR_p / CTR_1: biased when better ads are shown higher. */
  NAIVE,
  /**
   * Position-based click model fit by EM (Wang et al., WSDM 2018): examination per position,
   * relevance per ad.
   */
  EM
}
