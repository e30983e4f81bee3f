package dev.agentfactory.jobs.pii;

/**
 * What a scrubber did to one span, without the value.
 *
 * @param type the entity type
 * @param start first character in the input (inclusive)
 * @param end last character in the input (exclusive)
 * @param action what replaced it
 * @param field the JSON pointer of the string value for {@link Scrubber#scrubJson}, empty for text
 */
public record ScrubbedSpan(EntityType type, int start, int end, ScrubAction action, String field) {}
