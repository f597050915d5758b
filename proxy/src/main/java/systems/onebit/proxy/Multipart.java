package systems.onebit.proxy;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds one text field of a multipart/form-data body (the {@code model} of an audio transcription) by scanning
 * bytes: only part headers and the field's own value become strings, never the audio.
 */
final class Multipart {

    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("name=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);

    private Multipart() {
    }

    static Optional<String> field(byte[] body, String contentType, String name) {
        Matcher m = BOUNDARY.matcher(contentType);
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data") || !m.find()) {
            return Optional.empty();
        }
        byte[] delimiter = ("--" + m.group(1)).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int headersStart = at + delimiter.length;
            if (headersStart + 2 > body.length || (body[headersStart] == '-' && body[headersStart + 1] == '-')) {
                return Optional.empty();  // the closing delimiter
            }
            headersStart += 2;  // CRLF after the delimiter
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            if (headersEnd < 0) {
                return Optional.empty();
            }
            int next = indexOf(body, delimiter, headersEnd + 4);
            if (next < 0) {
                return Optional.empty();
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
            for (String header : headers.split("\r\n")) {
                if (header.toLowerCase(Locale.ROOT).startsWith("content-disposition:")) {
                    Matcher n = NAME.matcher(header);
                    if (n.find() && n.group(1).equals(name)) {
                        int valueEnd = next - 2;  // the CRLF before the next delimiter
                        return Optional.of(new String(body, headersEnd + 4, Math.max(0, valueEnd - headersEnd - 4),
                                StandardCharsets.UTF_8).strip());
                    }
                }
            }
            at = next;
        }
        return Optional.empty();
    }

    private static int indexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i + needle.length <= data.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
