package dev.agentfactory.jobs.quality;

import dev.agentfactory.connectors.event.Interaction;

/**
 * An interaction the quality filter dropped, and why.
 *
 * @param reason the first rule that rejected it
 * @param event the interaction, as it reached the filter (already PII-scrubbed in the pipeline)
 */
public record QualityDrop(DropReason reason, Interaction event) {}
