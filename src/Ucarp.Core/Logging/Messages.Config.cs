namespace Ucarp.Core.Logging;

// Ucarp.Net's own: the config file's diagnostics (the line number is put before them).
public static partial class Messages
{
    public static string ConfigTooLarge(int max) => F("the file is larger than {0} bytes", max);
    public static string ConfigLineTooLong(int max) => F("line longer than {0} characters", max);
    public const string ConfigNul = "line holds a NUL character";
    public static string ConfigUnterminatedQuote(char quote) => F("unterminated {0} quote", quote);
    public static string ConfigTooManyWords(int max) => F("more than {0} words", max);
    public static string ConfigTooManyGroups(int max) => F("more than {0} groups", max);
    public const string ConfigTooManyProblems = "too many problems, the rest of the file is not checked";
    public static string ConfigUnknownKeyword(string word) => F("expected \"group NAME OPTIONS...\" or \"defaults OPTIONS...\", not [{0}]", word);
    public const string ConfigGroupNeedsName = "group needs a name";
    public static string ConfigBadGroupName(string name, int max) =>
        F("group name [{0}] must be 1 to {1} letters, digits, '_', '.' or '-', starting with a letter or digit", name, max);
    public static string ConfigDuplicateGroup(string name, int line) => F("group [{0}] is already declared on line {1}", name, line);
    public static string ConfigProcessWide(string option) => F("{0} applies to the whole daemon: give it on the command line", option);
    public static string ConfigNotGroupOption(string option) => F("{0} is not a group option", option);
    public static string ConfigOperand(string word) => F("unexpected word [{0}]: a group takes options only (quote a value that holds spaces)", word);
    public static string ConfigOperandAfterHash(string word, string hashed) =>
        F("unexpected word [{0}]: '#' starts a comment only at the start of a word, not inside [{1}] (put a space before it)", word, hashed);
    public const string ConfigSpaceAfterBackslash = "a blank after the line's last backslash: the line does not go on to the next (remove the blank)";
    public static string ConfigKeepalivedBlock(string word) =>
        F("[{0}] looks like keepalived's configuration: this file takes one line per group, \"group NAME OPTIONS...\" (ucarp --from-keepalived=FILE converts a keepalived.conf)", word);
    public const string ConfigIsDirectory = "Is a directory";
    public static string ConfigScriptMissing(string option, string path, string error) => F("{0} [{1}]: {2}", option, path, error);
    public static string ConfigScriptNotExecutable(string option, string path) => F("{0} [{1}] is not executable: ucarp runs it itself, without a shell", option, path);
    public static string ConfigCheckProgram(string program, string error) => F("--check's program [{0}]: {1}", program, error);
    public static string ConfigInterfaceMissing(string iface) => F("interface {0} does not exist (yet): its groups will wait for it", iface);
    public static string ConfigInterfaceDown(string iface) => F("interface {0} is down: its groups will wait for it", iface);
    public static string ConfigDuplicateVhid(int vhid, string iface, string destination, string group, int line) =>
        F("vhid {0} on {1} ({2}) is already used by group [{3}] on line {4}", vhid, iface, destination, group, line);
    public static string ConfigDuplicateAddress(string address, string group, int line) =>
        F("address {0} is already group [{1}]'s, on line {2}", address, group, line);
}

// Ucarp.Net's own: the options of the daemon of many groups.
public static partial class Messages
{
    public static string BadSyncName(string name, int max) =>
        F("--sync name [{0}] must be 1 to {1} letters, digits, '_', '.' or '-', starting with a letter or digit", name, max);
    public static string ControlPathTooLong(int max) => F("--control: the path is longer than {0} bytes", max);
    public const string CheckConfigNeedsConfig = "--check-config needs --config=FILE";
    public static string GroupOptionWithConfig(string option) =>
        F("{0} is a group option: with --config it belongs in the file", option);
    public static string ConfigOpenFailed(string path, string error) => F("{0}: {1}", path, error);
    public const string ConfigNoGroups = "no group is declared";
    public static string ConfigRefused(int errors) => F("the configuration is refused: {0} problem(s)", errors);
}

// Ucarp.Net's own: reloads and ucarpctl's commands, as logged and as answered.
public static partial class Messages
{
    public const string ReloadNeedsConfig = "the daemon was not started with --config: there is no file to read again";
    public const string ReloadWhileStopping = "the daemon is stopping: the file is not read again";
    public static string ReloadStuck(string path, long seconds) =>
        F("{0}: the last read of the file has not finished after {1} s (a hung disk?): not read again until it does", path, seconds);
    public static string ReloadRefused(string path) => F("{0}: the file is refused, every group keeps running as it was", path);
    public static string Reloaded(int unchanged, string changed, string added, string removed) =>
        F("configuration reloaded: {0} unchanged, changed [{1}], added [{2}], removed [{3}]", unchanged, changed, added, removed);
    public const string StatusLinkDown = "carrier lost";
    public static string ConfigScriptless(string warning, int groups, string names) =>
        F("{0}, for {1} {2}: {3}", warning, groups, groups == 1 ? "group" : "groups", names);
    public static string ConfigAndMore(int more) => F(" and {0} more", more);
    public static string ConfigNotAByte(string option, string text, byte read) =>
        F("{0} [{1}] is not a number from 0 to 255: ucarp would read it as {2}", option, text, read);
    public static string ConfigVirtualIsSource(string address) =>
        F("-s [{0}] is also one of the group's addresses (-a, --extra-addr): a virtual address cannot be this host's own source address", address);
    public const string ConfigDefaultsAfterGroups = "this defaults line comes after the last group: it applies to no group";
    public static string ConfigPasswordTooLong(int most) => F("Password too long: CARP takes at most {0} bytes (ucarp refuses a longer one when it starts)", most);
    public static string NoSuchGroup(string group) => F("no group [{0}]", group);
    public const string DemotedByControl = "demoted by ucarpctl";
    public const string PromotedByControl = "promoted by ucarpctl";
    public static string Demoted(string groups) => F("demoted, out of the election until promoted: {0}", groups);
    public static string Promoted(string groups) => F("promoted, back in the election: {0}", groups);
    public static string LetGo(string groups) => F("let go: no address, no script running: {0}", groups);
    public const string PromotedWhileWaiting = "promoted again before it had let go: not waited for";
}

public static partial class Messages
{
    public static string UnknownAdverts(string iface, string family, long count) =>
        F("{0} ({1}): {2} advert(s) received for a vhid no group here has", iface, family, count);
}
