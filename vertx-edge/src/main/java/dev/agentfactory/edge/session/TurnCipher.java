package dev.agentfactory.edge.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts the turn store's events at rest: AES-256-GCM from the JDK, a random 96-bit nonce per
 * row, the row's tenant, session and turn id as associated data (a row moved to another turn does
 * not open). Each row names the key that sealed it by a key id derived from the key (the first 8
 * bytes of a SHA-256, hex), so keys rotate: the first key seals, every key opens.
 *
 * <pre>{@code
 * TurnCipher cipher = TurnCipher.fromSpec("NEW_BASE64_KEY,/etc/af/old-turn.key");
 * TurnCipher.Sealed sealed = cipher.seal(json, aad);
 * byte[] back = cipher.open(sealed.keyId(), sealed.payload(), aad);
 * }</pre>
 */
public final class TurnCipher {

  private static final Logger LOG = LoggerFactory.getLogger(TurnCipher.class);

  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  /** The key file a node generates when {@code session.store.key} is not set. */
  public static final String GENERATED_KEY_FILE = "turn-store.key";

  private final String sealingKeyId;
  private final Map<String, SecretKey> keys;
  private final SecureRandom random = new SecureRandom();

  private TurnCipher(List<byte[]> rawKeys) {
    if (rawKeys.isEmpty()) {
      throw new IllegalArgumentException("no key");
    }
    Map<String, SecretKey> byId = new LinkedHashMap<>();
    for (byte[] raw : rawKeys) {
      if (raw.length != KEY_BYTES) {
        throw new IllegalArgumentException(
            "a key must be " + KEY_BYTES + " bytes (256 bits), not " + raw.length);
      }
      byId.putIfAbsent(keyId(raw), new SecretKeySpec(raw, "AES"));
    }
    this.keys = Map.copyOf(byId);
    this.sealingKeyId = byId.keySet().iterator().next();
  }

  /** A cipher that seals with the first of {@code keys} (32 bytes each) and opens with any. */
  public static TurnCipher of(List<byte[]> keys) {
    return new TurnCipher(keys);
  }

  /**
   * The keys of a {@code session.store.key} value: comma-separated entries, each the base64 of 32
   * bytes or the path of a file holding that base64 text. The first entry seals.
   *
   * @throws IllegalArgumentException naming the entry by position, never echoing it (it may be a
   *     key)
   */
  public static TurnCipher fromSpec(String spec) {
    List<byte[]> keys = new ArrayList<>();
    String[] entries = spec.split(",");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      String where = "entry " + (i + 1) + " of " + entries.length;
      if (entry.isEmpty()) {
        throw new IllegalArgumentException(where + " is empty");
      }
      keys.add(decode(entry, where));
    }
    return new TurnCipher(keys);
  }

  private static byte[] decode(String entry, String where) {
    String text = entry;
    boolean file = false;
    try {
      Path path = Path.of(entry);
      if (Files.isRegularFile(path)) {
        text = Files.readString(path, StandardCharsets.US_ASCII).trim();
        where = where + " (key file " + path + ")";
        file = true;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": the key file cannot be read: " + e, e);
    } catch (RuntimeException e) {
      // not a path: base64 then
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    if (key.length != KEY_BYTES) {
      // The value is not echoed: it may be a key.
      throw new IllegalArgumentException(
          where
              + (file ? " does not hold" : " is neither an existing key file nor")
              + " the base64 of "
              + KEY_BYTES
              + " random bytes (e.g. `openssl rand -base64 32`)");
    }
    return key;
  }

  /**
   * The node's own key in {@code dir}/{@value #GENERATED_KEY_FILE}: read if present, else generated
   * once and written readable by the owner only. For a store no other node reads.
   */
  public static TurnCipher generatedIn(Path dir) throws IOException {
    Path file = dir.resolve(GENERATED_KEY_FILE);
    if (!Files.exists(file)) {
      byte[] key = new byte[KEY_BYTES];
      new SecureRandom().nextBytes(key);
      byte[] text = Base64.getEncoder().encode(key);
      Path tmp = dir.resolve("." + GENERATED_KEY_FILE + ".tmp");
      Files.deleteIfExists(tmp);
      Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(ownerOnly));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp); // not POSIX (Windows): the directory's ACL applies
      }
      Files.write(tmp, text);
      try {
        Files.createLink(file, tmp); // never replaces a key another start wrote meanwhile
      } catch (FileAlreadyExistsException e) {
        // that one wins
      } finally {
        Files.deleteIfExists(tmp);
      }
      if (Files.readString(file, StandardCharsets.US_ASCII).trim().equals(new String(text))) {
        LOG.info("generated the session turn store key {} (owner-only)", file);
      }
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.stream()
          .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
        LOG.warn(
            "session turn store key {} is readable by others ({}): chmod 600 it",
            file,
            PosixFilePermissions.toString(perms));
      }
    } catch (UnsupportedOperationException e) {
      // not POSIX
    }
    return fromSpec(file.toString());
  }

  /** The id of the key that seals. */
  public String sealingKeyId() {
    return sealingKeyId;
  }

  /** The ids of every key that opens. */
  public Set<String> keyIds() {
    return keys.keySet();
  }

  /** A sealed payload: the base64 of nonce, ciphertext and tag; and the sealing key's id. */
  public record Sealed(String keyId, String payload) {}

  /** Whether a key with that id opens. */
  public boolean holds(String keyId) {
    return keys.containsKey(keyId);
  }

  /** Seals {@code plaintext}, bound to {@code aad}, with the first key and a fresh nonce. */
  public Sealed seal(byte[] plaintext, byte[] aad) {
    return sealWith(sealingKeyId, plaintext, aad);
  }

  /**
   * Seals with the key {@code keyId}, not necessarily the first: for the store's check value of
   * each key (a key id is a hash, the check value proves the key itself).
   */
  Sealed sealWith(String keyId, byte[] plaintext, byte[] aad) {
    SecretKey key = keys.get(keyId);
    if (key == null) {
      throw new IllegalArgumentException("no key " + keyId);
    }
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plaintext);
      byte[] out = new byte[NONCE_BYTES + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return new Sealed(keyId, Base64.getEncoder().encodeToString(out));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JDK", e);
    }
  }

  /**
   * Opens a payload {@link #seal} made.
   *
   * @throws UnopenablePayloadException if no key has that id, the payload is not base64 or too
   *     short, or the tag does not match (another key with the same id, tampered bytes or {@code
   *     aad})
   */
  public byte[] open(String keyId, String payload, byte[] aad) throws UnopenablePayloadException {
    SecretKey key = keys.get(keyId);
    if (key == null) {
      throw new UnopenablePayloadException(
          "it was sealed with key "
              + keyId
              + ", which session.store.key does not hold (this node has "
              + String.join(", ", keys.keySet())
              + ")");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(payload);
    } catch (IllegalArgumentException e) {
      throw new UnopenablePayloadException("its payload is not base64 (a tampered row)");
    }
    if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new UnopenablePayloadException("its payload is truncated (a tampered row)");
    }
    try {
      Cipher cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
      cipher.updateAAD(aad);
      return cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new UnopenablePayloadException(
          "key " + keyId + " does not authenticate it (a tampered row, or a different key)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JDK", e);
    }
  }

  /** Why a payload does not open; the store turns it into an {@link UnreadableTurnException}. */
  public static final class UnopenablePayloadException extends Exception {
    UnopenablePayloadException(String message) {
      super(message);
    }
  }

  /** {@code k} and the hex of the first 8 bytes of SHA-256 over a label and the key. */
  static String keyId(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("agent-factory turn store key id\0".getBytes(StandardCharsets.US_ASCII));
      byte[] digest = sha.digest(key);
      return "k" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
