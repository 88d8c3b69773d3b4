package io.ctrbeam.pipelines;

import java.util.ArrayList;
import java.util.List;

/**
 * The entry points' defaults on DirectRunner: its immutability and encodability checks off unless
 * asked. The checks re-encode every element several times and, per bundle, walk the whole graph
 * (measured: 60 of the 100 s of a 3,000-impression batch run); the transforms are tested with both
 * on.
 */
final class DirectRunnerDefaults {
  private DirectRunnerDefaults() {}

  /** The arguments, plus {@code --enforceImmutability=false} and the like when not given. */
  static String[] checksOff(String[] args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (isDirect(all)) {
      for (String check : new String[] {"enforceImmutability", "enforceEncodability"}) {
        if (all.stream().noneMatch(a -> a.startsWith("--" + check))) {
          all.add("--" + check + "=false");
        }
      }
    }
    return all.toArray(new String[0]);
  }

  static boolean isDirect(List<String> args) {
    return args.stream().noneMatch(a -> a.startsWith("--runner") && !a.endsWith("DirectRunner"));
  }
}
