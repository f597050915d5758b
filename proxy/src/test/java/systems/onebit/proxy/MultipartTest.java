package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MultipartTest {

    private static byte[] form(String boundary, byte[] audio, String model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(audio);
        out.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model
                + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @Test
    void findsTheModelFieldAfterBinaryAudio() {
        byte[] audio = new byte[100_000];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (byte) (i * 31);
        }
        byte[] body = form("----xyz123", audio, "whisper-large-v3");
        assertThat(Multipart.field(body, "multipart/form-data; boundary=----xyz123", "model")).contains("whisper-large-v3");
        assertThat(Multipart.field(body, "multipart/form-data; boundary=\"----xyz123\"", "model")).contains("whisper-large-v3");
        assertThat(Multipart.field(body, "multipart/form-data; boundary=----xyz123", "language")).isEmpty();
        assertThat(Multipart.field(body, "application/json", "model")).isEmpty();
    }

    @Test
    void truncatedFormsGiveNothing() {
        byte[] body = form("b", new byte[] {1, 2, 3}, "m");
        byte[] cut = java.util.Arrays.copyOf(body, body.length / 2);
        assertThat(Multipart.field(cut, "multipart/form-data; boundary=b", "model")).isEqualTo(Optional.empty());
    }
}
