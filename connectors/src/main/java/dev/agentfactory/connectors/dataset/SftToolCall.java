package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * One entry of an assistant message's {@code tool_calls}: {@code {id, type: "function", function:
 * {name, arguments}}}, as the OpenAI chat format and TRL's conversational datasets have it.
 *
 * @param arguments the arguments as JSON text (OpenAI's form; chat templates that want a mapping
 *     need it parsed)
 */
public record SftToolCall(String id, String name, String arguments) {

  /** The only {@code type} of a call. */
  public static final String TYPE_FUNCTION = "function";

  public SftToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }
}
