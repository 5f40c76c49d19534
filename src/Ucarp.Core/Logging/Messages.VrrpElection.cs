namespace Ucarp.Core.Logging;

// Ucarp.Net's own: what a VRRP group's election says (keepalived's events, in ucarp's manner).
public static partial class Messages
{
    public static string VrrpPreferredMaster(string from, byte theirs, byte ours) =>
        F("Preferred master advertised by [{0}] (priority {1}, ours {2}): going back to BACKUP state", from, theirs, ours);
    public static string VrrpLesserMaster(string from, byte theirs, byte ours) =>
        F("Less preferred master [{0}] advertising (priority {1}, ours {2}): advertising at once and announcing the addresses again", from, theirs, ours);
    public const string VrrpResigning = "Resigning: advertising priority 0 so a backup takes over now";
}
