package dev.agentfactory.edge.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/** Writes a {@link ChatRequest} as an OpenAI chat completions request body with streaming on. */
final class OpenAiRequestEncoder {

  private final ObjectMapper mapper;

  OpenAiRequestEncoder(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  Buffer encode(ChatRequest request, boolean includeUsage) {
    ObjectNode root = mapper.createObjectNode();
    root.put("model", request.model());
    ArrayNode messages = root.putArray("messages");
    for (ChatMessage message : request.messages()) {
      messages.add(message(message));
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = root.putArray("tools");
      for (ToolDefinition tool : request.tools()) {
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", tool.name());
        function.put("description", tool.description());
        function.set("parameters", tool.parameters());
      }
    }
    ModelParameters parameters = request.parameters();
    parameters.temperature().ifPresent(t -> root.put("temperature", t));
    parameters.topP().ifPresent(p -> root.put("top_p", p));
    // max_tokens, not max_completion_tokens: the name every compatible server understands
    parameters.maxTokens().ifPresent(m -> root.put("max_tokens", m));
    root.put("stream", true);
    if (includeUsage) {
      root.putObject("stream_options").put("include_usage", true);
    }
    try {
      return Buffer.buffer(mapper.writeValueAsBytes(root));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a chat request", e);
    }
  }

  private ObjectNode message(ChatMessage message) {
    ObjectNode node = mapper.createObjectNode().put("role", message.role());
    if (message instanceof ChatMessage.System system) {
      node.put("content", system.content());
    } else if (message instanceof ChatMessage.User user) {
      node.put("content", user.content());
    } else if (message instanceof ChatMessage.Assistant assistant) {
      if (assistant.content().isEmpty() && !assistant.toolCalls().isEmpty()) {
        node.putNull("content");
      } else {
        node.put("content", assistant.content());
      }
      if (!assistant.toolCalls().isEmpty()) {
        ArrayNode calls = node.putArray("tool_calls");
        for (ToolCall call : assistant.toolCalls()) {
          ObjectNode c = calls.addObject().put("id", call.id()).put("type", "function");
          c.putObject("function").put("name", call.name()).put("arguments", call.argumentsJson());
        }
      }
    } else if (message instanceof ChatMessage.Tool tool) {
      node.put("tool_call_id", tool.toolCallId());
      node.put("content", tool.content());
    }
    return node;
  }
}
