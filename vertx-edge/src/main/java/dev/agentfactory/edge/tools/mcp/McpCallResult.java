package dev.agentfactory.edge.tools.mcp;

/**
 * What a {@code tools/call} returned, flattened to text for the model: text content as is, other
 * content described, structured content as JSON when there is nothing else.
 */
public record McpCallResult(String text, boolean isError) {}
