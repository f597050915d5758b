package systems.onebit.proxy;

/** What the access log and the metrics record of one forwarded request; filled in as the request goes. */
final class Exchange {
    final String method;
    final String path;
    final long start;
    String model = "";
    String backend = "";
    int status = 500;
    long firstByte = -1;
    long bytes;

    Exchange(String method, String path, long start) {
        this.method = method;
        this.path = path;
        this.start = start;
    }
}
