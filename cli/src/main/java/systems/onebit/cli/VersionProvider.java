package systems.onebit.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest, or "dev" when run from classes. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {"1bit " + (version == null ? "dev" : version) + " (Java " + Runtime.version() + ")"};
    }
}
