package dev.agentfactory.jobs.pipeline;

/**
 * An event the pipeline rejected.
 *
 * @param key the original record key (may be null)
 * @param value the original record value, untouched (may be null)
 * @param field the offending JSON field, e.g. {@code messages[0].role}
 * @param reason the full reason, e.g. {@code messages[0].role: is required}
 * @param origin {@code topic/partition/offset} of the original record
 */
public record DeadLetter(byte[] key, byte[] value, String field, String reason, String origin) {}
