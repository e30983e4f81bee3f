package dev.agentfactory.connectors.flink;

/**
 * A vertex of a job's graph as the Flink REST API reports it ({@code GET /jobs/{id}}, {@code
 * vertices}): one task, which runs its chained operators.
 *
 * @param id the vertex id (hex)
 * @param name the names of its chained operators, e.g. {@code quality-filter -> rule-label}
 */
public record JobVertex(String id, String name) {}
