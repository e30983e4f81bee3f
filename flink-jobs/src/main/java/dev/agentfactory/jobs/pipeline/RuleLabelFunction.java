package dev.agentfactory.jobs.pipeline;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.jobs.label.LabeledInteraction;
import dev.agentfactory.jobs.label.RuleLabeler;
import java.util.List;
import org.apache.flink.api.common.functions.MapFunction;

/** Attaches the {@link RuleLabeler} labels to each interaction. Stateless. */
public final class RuleLabelFunction implements MapFunction<Interaction, LabeledInteraction> {
  private static final long serialVersionUID = 1L;

  @Override
  public LabeledInteraction map(Interaction event) {
    return new LabeledInteraction(event, RuleLabeler.label(event), List.of());
  }
}
