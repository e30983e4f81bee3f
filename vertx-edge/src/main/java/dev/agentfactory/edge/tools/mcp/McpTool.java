package dev.agentfactory.edge.tools.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A tool an MCP server lists: its name on that server, what it does, and its input schema. */
public record McpTool(String name, String description, ObjectNode inputSchema) {}
