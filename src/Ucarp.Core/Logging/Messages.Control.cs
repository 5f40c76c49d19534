namespace Ucarp.Core.Logging;

// Ucarp.Net's own: the control socket ucarpctl talks to (the daemon's side).
public static partial class Messages
{
    public static string ControlListen(string path, string error) => F("Unable to listen on the control socket [{0}]: {1}", path, error);
    public static string ControlInUse(string path) => F("Another daemon is already listening on the control socket [{0}]", path);
    public static string ControlNotSocket(string path) => F("Unable to listen on the control socket [{0}]: it exists and is not a socket", path);
    public static string ControlDirectory(string directory, string error) => F("Unable to use [{0}] for the control socket: {1}", directory, error);
    public const string ControlDirectoryIsLink = "it is a symbolic link";
    public static string ControlDirectoryOwner(uint uid) => F("it belongs to another user (uid {0}), who could replace the socket", uid);
    public static string ControlDirectoryWritable(int mode) => F("others may write in it (mode {0}) and it is not sticky: they could replace the socket",
                                                                 Convert.ToString(mode, 8).PadLeft(4, '0'));

    // Reply bodies (ucarpctl prints them).
    public const string ControlPermissionDenied = "permission denied: the control socket serves root only\n";
    public static string DemotionFileUnread(string path, string why) =>
        F("--demotion-file [{0}] not read: {1}: groups start as the config file says", path, why);
    public static string DemotionFileUnwritten(string path, string why) =>
        F("--demotion-file [{0}] not written: {1}: the demotion holds until the daemon stops, not after", path, why);
    public static string DemotionFileWrittenAgain(string path) => F("--demotion-file [{0}] written again", path);
    public static string DemotionsKept(string path, string groups) => F("demoted before the restart, kept from [{0}]: {1}", path, groups);
    public static string MetricsListenInvalid(string text) =>
        F("--metrics-listen takes ADDRESS:PORT ([ADDRESS]:PORT for IPv6, a port from 1 to 65535), not [{0}]", Logging.Printable.Cut(text, 64));
    public static string MetricsListenFailed(string where, string error) => F("Unable to listen on --metrics-listen [{0}]: {1}", where, error);
    public const string ControlTooManyWatchers = "too many ucarpctl watch connections: at most 8 at once";
    public const string ControlBusy = "the daemon is serving too many ucarpctl connections: try again\n";
    public const string ControlRequestTooLong = "request too long\n";
}
