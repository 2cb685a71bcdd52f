import org.lictor.runtime.*;

public class Example {
  public static void main(String[] args) {
    var runtime = LictorRuntime.connect(System.getenv("LICTOR_PUBLIC_KEY")); // the vendor key the application embeds
    String product = System.getenv().getOrDefault("LICTOR_PRODUCT", "ERP"), feature = System.getenv().getOrDefault("LICTOR_FEATURE", "reports");
    Grant grant = runtime.check(product, feature); // signed by the license's container key, verified here
    System.out.println("licensed: " + grant.product() + "/" + grant.feature() + " by " + grant.serial());
    try (Session session = runtime.openSession(product, feature); Seat seat = runtime.takeSeat(product, feature)) {
      System.out.println("session " + session.id() + ", seat " + seat.leaseId() + " from " + seat.manager());
    }
  }
}
