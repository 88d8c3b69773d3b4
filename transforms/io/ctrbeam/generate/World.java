package io.ctrbeam.generate;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.UserProfile;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** The users and ads of a run, with their true parameters, drawn from the seed alone. */
final class World {
  private static final String[] CATEGORY_NAMES = {
    "travel",
    "finance",
    "retail",
    "autos",
    "gaming",
    "health",
    "tech",
    "food",
    "fashion",
    "sports",
    "education",
    "home",
    "beauty",
    "music",
    "news",
    "pets",
    "real_estate",
    "insurance",
    "telecom",
    "entertainment"
  };
  private static final String[] AGE_BUCKETS = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
  private static final double[] AGE_WEIGHTS = {0.16, 0.27, 0.22, 0.16, 0.11, 0.08};
  private static final String[] GENDERS = {"female", "male", "unknown"};
  private static final double[] GENDER_WEIGHTS = {0.47, 0.47, 0.06};
  private static final String[] COUNTRIES = {
    "US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "ES", "IT", "MX", "NL", "SE", "KR"
  };
  private static final double[] COUNTRY_WEIGHTS = {
    0.30, 0.08, 0.08, 0.06, 0.12, 0.07, 0.06, 0.04, 0.03, 0.04, 0.04, 0.03, 0.02, 0.01, 0.02
  };
  static final double CTR_MIN = 0.0005;
  static final double CTR_MAX = 0.3;

  final String[] categories;
  final String[] userIds;
  final String[] userCountry;
  final double[] userMobileShare;
  final int[][] userInterests;
  final UserProfile[] userProfiles;
  final String[] adIds;
  final String[] adAdvertiser;
  final int[] adCategory;
  final double[] adCtr;
  final double[] adLogCtr;
  final double[] adConversionRate;
  final AdMetadata[] adMetadata;
  final int[][] adsByCategory;

  World(GeneratorConfig c) {
    SplittableRandom rnd = new SplittableRandom(LogGenerator.mix(c.seed(), -2L));
    categories = new String[c.categories()];
    for (int i = 0; i < categories.length; i++) {
      categories[i] = i < CATEGORY_NAMES.length ? CATEGORY_NAMES[i] : "category_" + (i + 1);
    }
    Instant updated = Instant.ofEpochMilli(c.startMillis());

    int nu = c.users();
    userIds = new String[nu];
    userCountry = new String[nu];
    userMobileShare = new double[nu];
    userInterests = new int[nu][];
    userProfiles = new UserProfile[nu];
    for (int u = 0; u < nu; u++) {
      userIds[u] = id("u", u, 8);
      userCountry[u] = COUNTRIES[pick(rnd, COUNTRY_WEIGHTS)];
      userMobileShare[u] = clamp(0.62 + 0.25 * rnd.nextGaussian(), 0.02, 0.98);
      int k = Math.min(categories.length, 1 + rnd.nextInt(4));
      int[] interests = distinct(rnd, k, categories.length);
      userInterests[u] = interests;
      List<String> names = new ArrayList<>(k);
      for (int i : interests) {
        names.add(categories[i]);
      }
      String age = rnd.nextDouble() < 0.03 ? null : AGE_BUCKETS[pick(rnd, AGE_WEIGHTS)];
      userProfiles[u] =
          new UserProfile(userIds[u], updated, age, GENDERS[pick(rnd, GENDER_WEIGHTS)], names);
    }

    String[] advertiserIds = new String[c.advertisers()];
    int[] advertiserCategory = new int[advertiserIds.length];
    for (int a = 0; a < advertiserIds.length; a++) {
      advertiserIds[a] = id("adv", a, 5);
      advertiserCategory[a] = rnd.nextInt(categories.length);
    }
    double[] categoryConversionFactor = new double[categories.length];
    for (int k = 0; k < categories.length; k++) {
      categoryConversionFactor[k] = Math.exp(0.4 * rnd.nextGaussian());
    }
    int na = c.ads();
    adIds = new String[na];
    adAdvertiser = new String[na];
    adCategory = new int[na];
    adCtr = new double[na];
    adLogCtr = new double[na];
    adConversionRate = new double[na];
    adMetadata = new AdMetadata[na];
    int[] perCategory = new int[categories.length];
    for (int a = 0; a < na; a++) {
      int adv = rnd.nextInt(advertiserIds.length);
      adIds[a] = id("ad", a, 6);
      adAdvertiser[a] = advertiserIds[adv];
      // Most advertisers stay in their category; a few ads do not.
      adCategory[a] =
          rnd.nextDouble() < 0.85 ? advertiserCategory[adv] : rnd.nextInt(categories.length);
      perCategory[adCategory[a]]++;
      adCtr[a] =
          clamp(c.ctrMedian() * Math.exp(c.ctrSigma() * rnd.nextGaussian()), CTR_MIN, CTR_MAX);
      adLogCtr[a] = Math.log(adCtr[a]);
      adConversionRate[a] =
          clamp(
              c.conversionRate()
                  * categoryConversionFactor[adCategory[a]]
                  * Math.exp(0.3 * rnd.nextGaussian()),
              0.0,
              0.95);
      adMetadata[a] = new AdMetadata(adIds[a], updated, adAdvertiser[a], categories[adCategory[a]]);
    }
    adsByCategory = new int[categories.length][];
    for (int k = 0; k < categories.length; k++) {
      adsByCategory[k] = new int[perCategory[k]];
    }
    int[] fill = new int[categories.length];
    for (int a = 0; a < na; a++) {
      adsByCategory[adCategory[a]][fill[adCategory[a]]++] = a;
    }
  }

  static String id(String prefix, long n, int width) {
    String s = Long.toString(n);
    StringBuilder sb = new StringBuilder(prefix.length() + Math.max(width, s.length()));
    sb.append(prefix);
    for (int i = s.length(); i < width; i++) {
      sb.append('0');
    }
    return sb.append(s).toString();
  }

  static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  static int pick(SplittableRandom rnd, double[] weights) {
    double u = rnd.nextDouble() * Arrays.stream(weights).sum();
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private static int[] distinct(SplittableRandom rnd, int k, int n) {
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      int v;
      boolean seen;
      do {
        v = rnd.nextInt(n);
        seen = false;
        for (int j = 0; j < i; j++) {
          seen |= out[j] == v;
        }
      } while (seen);
      out[i] = v;
    }
    return out;
  }
}
