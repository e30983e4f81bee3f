package dev.agentfactory.jobs.pii;

import java.util.List;

/** Finds spans of one or more entity types in a text. Instances need not be thread-safe. */
interface Detector {

  /** Adds what it finds in {@code text} to {@code out}, possibly overlapping other detections. */
  void detect(ScanText text, List<PiiSpan> out);
}
