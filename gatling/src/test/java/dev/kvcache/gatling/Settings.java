package dev.kvcache.gatling;

/**
 * The simulations' knobs, read from system properties: {@code -Dusers=32} on the Maven command line reaches
 * the simulation because the Gatling plugin forks its JVM with Maven's system properties.
 *
 * <p>Every knob has two defaults: the normal one and the one of smoke mode ({@code -Dsmoke=true}), a run of a
 * few seconds with a few users that keeps every check and assertion. CI runs the smoke mode against the
 * freshly built jar so that the simulations cannot rot. A property given explicitly wins in both modes.
 */
final class Settings {

    static final boolean SMOKE = Boolean.parseBoolean(System.getProperty("smoke", "false"));

    private Settings() {
    }

    static String string(String name, String defaultValue) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }

    static int integer(String name, int normalDefault, int smokeDefault) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return SMOKE ? smokeDefault : normalDefault;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a whole number, was '" + value + "'");
        }
    }

    /** A whole number, or null when the property is not given (in both modes). */
    static Integer optionalInteger(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a whole number, was '" + value + "'");
        }
    }

    static double decimal(String name, double normalDefault, double smokeDefault) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            return SMOKE ? smokeDefault : normalDefault;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a number, was '" + value + "'");
        }
    }

    /** Fails the simulation before it sends anything, naming the property, rather than measuring nonsense. */
    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
