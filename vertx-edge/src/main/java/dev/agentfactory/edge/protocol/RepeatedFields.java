package dev.agentfactory.edge.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A field given twice in one JSON object ({@code {"command":"ls","command":"rm -rf /"}}): valid
 * JSON, but readers disagree on which value wins (Jackson and Vert.x take the last, others the
 * first), so a check in front of the node and the node itself could act on different values.
 * Frames, feedback bodies and new agent specs are read by a {@link #strictMapper()} and refuse such
 * input, naming the field in dotted form ({@code model.base_url}, {@code argv}, {@code
 * tools[2].name}).
 */
public final class RepeatedFields {

  private RepeatedFields() {}

  /** A JSON mapper whose parser fails on the second occurrence of a field. */
  public static ObjectMapper strictMapper() {
    return JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  }

  /**
   * The dotted name of the repeated field if {@code e} is a strict parser's failure on one, else
   * null (the input is otherwise not JSON).
   */
  public static String fieldOf(JsonProcessingException e) {
    if (e instanceof StreamReadException read
        && read.getProcessor() != null
        && String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
      // the parser stops at the second occurrence, its context naming that field
      return path(read.getProcessor().getParsingContext());
    }
    return null;
  }

  /**
   * The dotted name of the first field {@code json} gives twice in one object, or null if none is
   * (or the text is no JSON: its readers say so in their own words).
   */
  public static String firstIn(String json) {
    try (JsonParser parser = STRICT.createParser(json)) {
      while (parser.nextToken() != null) {
        // reading the tokens is the check
      }
      return null;
    } catch (JsonProcessingException e) {
      return fieldOf(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String reader does not fail
    }
  }

  private static final JsonFactory STRICT =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static String path(JsonStreamContext context) {
    List<JsonStreamContext> outermostFirst = new ArrayList<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      outermostFirst.add(0, c);
    }
    StringBuilder path = new StringBuilder();
    for (JsonStreamContext c : outermostFirst) {
      if (c.inArray()) {
        path.append('[').append(c.getCurrentIndex()).append(']');
      } else {
        path.append(path.length() == 0 ? "" : ".").append(c.getCurrentName());
      }
    }
    return path.length() == 0 ? "$" : path.toString();
  }
}
