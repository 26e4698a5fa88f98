// Receive authnotify's forwarded events in Java. With the Standard Webhooks library
// (com.standardwebhooks:standardwebhooks) the check is `new Webhook(secret).verify(body, headers)`;
// this file does the same with the JDK alone, as the specification describes, so that it runs anywhere.
// Run: AUTHNOTIFY_WEBHOOK_SECRET=whsec_... PORT=3004 java Consumer.java
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class Consumer {
  static boolean verify(String secret, String id, String timestamp, String signatures, byte[] body) throws Exception {
    if (Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(timestamp)) > 300) return false;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.replaceFirst("^whsec_", "")), "HmacSHA256"));
    mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
    byte[] expected = Base64.getEncoder().encode(mac.doFinal(body));
    for (String s : signatures.split(" ")) {
      if (s.startsWith("v1,") && MessageDigest.isEqual(expected, s.substring(3).getBytes(StandardCharsets.UTF_8))) return true;
    }
    return false;
  }

  public static void main(String[] args) throws Exception {
    String secret = System.getenv("AUTHNOTIFY_WEBHOOK_SECRET");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "3004"));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      var h = exchange.getRequestHeaders();
      boolean ok;
      try {
        ok = h.getFirst("webhook-id") != null
            && verify(secret, h.getFirst("webhook-id"), h.getFirst("webhook-timestamp"), h.getFirst("webhook-signature"), body);
      } catch (Exception e) {
        ok = false;
      }
      if (ok) {
        // A JSON library would parse this; the event type is enough to show it arrived.
        String json = new String(body, StandardCharsets.UTF_8);
        String type = json.replaceAll("^\\{\"type\":\"([^\"]+)\".*$", "$1");
        System.out.println(type + " " + h.getFirst("webhook-id"));
        System.out.flush();
      }
      exchange.sendResponseHeaders(ok ? 204 : 400, -1);
      exchange.close();
    });
    server.start();
  }
}
