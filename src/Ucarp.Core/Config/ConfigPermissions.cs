namespace Ucarp.Core.Config;

/// <summary>A config file that holds a password (-p) is a password file: its group and others should not read it.</summary>
public static class ConfigPermissions
{
    const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>True when the daemon should warn with <see cref="Logging.Messages.PassfileReadable"/>, as for a password file.</summary>
    public static bool PasswordExposed(UnixFileMode mode, bool holdsPassword) => holdsPassword && (mode & ReadableByOthers) != 0;
}
