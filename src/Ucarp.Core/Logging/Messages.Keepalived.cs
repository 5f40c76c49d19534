namespace Ucarp.Core.Logging;

// Ucarp.Net's own: ucarp --from-keepalived's errors ("FILE:LINE: message"), its "not
// converted" reasons ("FILE:LINE: not converted: KEYWORD: reason") and the notes it writes
// as comments above a converted group.
public static partial class Messages
{
    public static string FromKeepalivedBug(string type, string message) => F("internal error in --from-keepalived (a bug, please report it): {0}: {1}", type, message);
    public const string FromKeepalivedAlone = "--from-keepalived=FILE prints a --config file and exits: give it alone";

    // Reading keepalived.conf: errors, nothing is printed.
    public const string KeepalivedNul = "line holds a NUL character";
    public const string KeepalivedVmacWithPeers =
        "use_vmac with unicast_peer: --vmac is refused beside --peer (unicast adverts come to the interface's own MAC); the group sends from the interface's own MAC";
    public const string KeepalivedUnterminatedQuote = "unterminated \" quote";
    public static string KeepalivedDefinition(string name) =>
        F("keepalived's parameter definitions ({0}=...) are not expanded here: expand them in the file first", name);
    public static string KeepalivedSequence(string keyword) => F("keepalived's {0} is not expanded here: write its lines out first", keyword);
    public static string KeepalivedUnclosedBlock(string keyword) => F("the block of [{0}] is never closed: a '}}' is missing", keyword);
    public const string KeepalivedTooManyProblems = "too many problems, the rest is not read";
    public static string KeepalivedTooManyFiles(int max) => F("more than {0} files: not read further", max);
    public static string KeepalivedTooLarge(int max) => F("the file is larger than {0} bytes", max);
    public static string KeepalivedIncludeCycle(string file) => F("include: {0} is already being read (an include cycle)", file);
    public const string KeepalivedStrayOpen = "'{' without a keyword before it";
    public const string KeepalivedStrayClose = "'}' without a block to close";
    public static string KeepalivedTooDeep(int max) => F("blocks nested more than {0} deep", max);
    public static string KeepalivedIncludeTooDeep(int max) => F("includes nested more than {0} deep", max);
    public static string KeepalivedGlobTooLarge(string pattern, int max) => F("include {0}: more than {1} names", pattern, max);
    public const string KeepalivedNothingToConvert = "no vrrp_instance to convert: nothing is printed";

    // Not converted: "KEYWORD: reason".
    public static string KeepalivedIncludeNoMatch(string pattern) => F("include {0}: no file matches", pattern);
    public static string KeepalivedIncludeNotRegular(string file) => F("include {0}: not a regular file, or executable (keepalived skips it too)", file);
    public static string KeepalivedUnknown(string keyword, string block) => F("{0}: not a keyword of {1} here", keyword, block);
    public static string KeepalivedInstanceKeyword(string keyword) => F("{0}: {1}", keyword, InstanceReasons.GetValueOrDefault(keyword, NoEquivalent));
    public static string KeepalivedGlobalKeyword(string keyword) => F("{0}: {1}", keyword, GlobalReasons.GetValueOrDefault(keyword, NoEquivalent));
    public static string KeepalivedTopKeyword(string keyword) => F("{0}: {1}", keyword, TopReasons.GetValueOrDefault(keyword, NoEquivalent));
    public static string KeepalivedSyncKeyword(string keyword) => F("{0}: {1}", keyword, SyncReasons.GetValueOrDefault(keyword, NoEquivalent));
    public static string KeepalivedScriptKeyword(string keyword) => F("{0}: {1}", keyword, keyword switch
    {
        "user" => "ucarp runs its checks as its own user",
        _ => NoEquivalent,
    });
    public static string KeepalivedNoScript(string name) => F("vrrp_script {0}: no script (keepalived drops it too)", name);
    public static string KeepalivedNoName(string keyword) => F("{0}: it has no name", keyword);
    public static string KeepalivedPeerOptions(string peer, string options) => F("unicast_peer {0} {1}: ucarp takes the peer's address only", peer, options);
    public static string KeepalivedBadPeer(string peer) => F("unicast_peer {0}: not an address of the instance's family", peer);
    public static string KeepalivedBadAddress(string text) => F("virtual_ipaddress {0}: not an address", text);
    public static string KeepalivedAddressOtherDev(string address, string dev) =>
        F("virtual_ipaddress {0} dev {1}: a group's addresses go on its interface (-i) only; keepalived peers drop adverts whose address list is not theirs", address, dev);
    public static string KeepalivedAddressOption(string address, string option, string reason) => F("virtual_ipaddress {0} {1}: {2}", address, option, reason);
    public const string KeepalivedScopeReason = "ucarp adds its addresses with scope global";
    public const string KeepalivedAddressOptionReason = "ucarp adds the address without it";
    public const string KeepalivedAddressUnknownReason = "keepalived ignores the word too (one address a line)";
    public static string KeepalivedOtherFamily(string address) =>
        F("virtual_ipaddress {0}: a group's addresses are of one family (keepalived does not advertise it either): give it a group of its own", address);
    public static string KeepalivedNoVrid(string? vrid) => vrid is null ? "no virtual_router_id" : F("virtual_router_id {0} is not 1 to 255", vrid);
    public const string KeepalivedNoInterface = "no interface (and no default_interface)";
    public const string KeepalivedNoAddress = "no virtual_ipaddress to hold";
    public static string KeepalivedNoSource(string iface) =>
        F("-s: keepalived sends from {0}'s primary address, which this host does not have: give unicast_src_ip or mcast_src_ip, or -s in the group", iface);
    public static string KeepalivedInstanceLeftOut(string instance, string reason) => F("vrrp_instance {0}: {1}", instance, reason);
    public static string KeepalivedRefused(string instance, string message) => F("vrrp_instance {0}: ucarp refuses the group: {1}", instance, message);
    public static string KeepalivedBadPriority(string value) => F("priority {0}: not 1 to 255 (keepalived uses 100, and so does the group)", value);
    public static string KeepalivedBadAdvertInt(string value) => F("advert_int {0}: not 0.01 to 255 seconds (keepalived ignores it, and so does the group)", value);
    public static string KeepalivedBadState(string state) => F("state {0}: neither MASTER nor BACKUP (keepalived starts as BACKUP)", state);
    public static string KeepalivedBadValue(string keyword, string value, string option) => F("{0} {1}: out of {2}'s range", keyword, value, option);
    public const string KeepalivedAuthAh =
        "authentication auth_type AH: ucarp has no IPsec AH; the group runs without authentication, which AH peers refuse";
    public static string KeepalivedSecondScript(string name) => F("track_script {0}: a group takes one --check, the first script's", name);
    public static string KeepalivedNoSuchScript(string name) => F("track_script {0}: no vrrp_script of that name", name);
    public static string KeepalivedUnreadableScript(string keyword) => F("{0}: its command cannot be read (a quote left open?)", keyword);
    public static string KeepalivedScriptUser(string keyword, string user) => F("{0} ... {1}: ucarp runs scripts as its own user", keyword, user);
    public static string KeepalivedNotifyArguments(string keyword, string option, string command) =>
        F("{0} [{2}]: ucarp runs {1} as a program with the interface and the address as its arguments: put the command in a script and give its path", keyword, option, command);
    public const string KeepalivedWeightReverse = "weight ... reverse: a --check lowers the priority when it fails, not when it succeeds";
    public const string KeepalivedOwnerWeight = "weight: priority 255 (the address owner) is not changed by a script";
    public static string KeepalivedSyncUnknownMember(string name) => F("group {0}: no vrrp_instance of that name", name);
    public static string KeepalivedSyncTwice(string name, string set) => F("group {0}: already in sync group {1}", name, set);

    // Notes, written as comments above the group.
    public static string KeepalivedSourceFromHost(string iface, string address) =>
        F("-s {1}: {0}'s primary address on this host, which keepalived sends from; on another host give that host's", iface, address);
    public const string KeepalivedStateMaster =
        "state MASTER: the group starts as BACKUP and becomes MASTER when it hears no higher priority (after Master_Down_Interval); only priority 255 starts as MASTER";
    public static string KeepalivedIgnored(string keyword, string because) => F("{0}: keepalived ignores it with {1}, and so does the group", keyword, because);
    public const string KeepalivedIpv6Version3 = "IPv6: VRRP version 3, as keepalived speaks it over IPv6";
    public static string KeepalivedAdvertIntRounded(string given, string used, int version) =>
        F("advert_int {0}: {1} s, as keepalived rounds it for version {2}", given, used, version);
    public static string KeepalivedNoAuth(string? type) => F("authentication {0}: keepalived runs without authentication, and so does the group", type);
    public const string KeepalivedAuthV3 = "authentication: keepalived ignores it with version 3, which has none (RFC 5798); so does the group";
    public static string KeepalivedPassTruncated(int max) => F("auth_pass: keepalived keeps its first {0} bytes, and so does -p", max);
    public static string KeepalivedDuplicateAddress(string address) => F("virtual_ipaddress {0}: listed twice, held once", address);
    public static string KeepalivedPrefixDropped(string address, string prefix, int full) =>
        F("virtual_ipaddress {0}/{1}: added as {0}/{2}, without the /{1} subnet's route keepalived adds", address, prefix, full);
    public static string KeepalivedLabelNote(string address, string label) => F("virtual_ipaddress {0} label {1}: added without the label", address, label);
    public static string KeepalivedNotifyNote(string keyword, string option) =>
        F("{0}: ucarp runs it ({1}) with the interface and the address as arguments, where keepalived gives none", keyword, option);
    public static string KeepalivedWeightRaised(string script, int weight, int priority, int raised) =>
        F("track_script {0} weight {1}: keepalived advertises {3} while it succeeds and {2} while it fails; so do --priority={3} and --check-weight={4}",
          script, weight, priority, raised, raised - priority);
    public static string KeepalivedWeightNoEffect(string script, int weight, int priority) =>
        F("track_script {0} weight {1}: priority {2} cannot rise past 254, so keepalived's script changes nothing; no --check", script, weight, priority);
    public static string KeepalivedCheckStartsFailing(string script) =>
        F("track_script {0}: the check counts as failing until it first passes, as keepalived's init_fail has it", script);
    public static string KeepalivedRenamed(string kind, string name, string used) => F("keepalived's {0} [{1}] is [{2}] here: a ucarp name is 1 to 32 letters, digits, '_', '.' or '-'", kind, name, used);

    // The output's comments.
    public static string KeepalivedHeader(string file, string version) =>
        F("ucarp.conf(5) groups converted from {0} by ucarp --from-keepalived (Ucarp.Net {1}).", file, version);
    public const string KeepalivedHeaderCheck = "Check it on the host that runs it: ucarp --config=FILE --check-config";
    public static string KeepalivedHeaderConfigId(string id) =>
        F("Its \"@ID\" lines were read for config id [{0}], this host's short name, as keepalived reads them without -i.", id);
    public const string KeepalivedHeaderPassword = "It holds passwords (-p): keep it mode 600.";
    public static string KeepalivedGroupComment(string instance, string where, string? leftOut) =>
        leftOut is null ? F("vrrp_instance {0} ({1})", instance, where) : F("vrrp_instance {0} ({1}): left out: {2}", instance, where, leftOut);

    const string NoEquivalent = "no equivalent in ucarp";
    const string NoMail = "ucarp sends no mail: an up or down script can";
    const string Announcements = "ucarp's announcements are fixed: at takeover, 5 s later, then every --garp-refresh";

    static readonly Dictionary<string, string> InstanceReasons = new(StringComparer.Ordinal)
    {
        ["use_vmac_addr"] = "--vmac always gives its child the virtual router MAC",
        ["vmac_xmit_base"] = "--vmac sends the adverts from its child, with the virtual MAC, as keepalived does without vmac_xmit_base",
        ["auth_hmac"] = "ucarp has no HMAC authentication for VRRP (keepalived's own extension)",
        ["virtual_ipaddress_excluded"] = "ucarp advertises every address of a group: list them in virtual_ipaddress, or add them with a script",
        ["virtual_routes"] = "ucarp adds addresses, not routes: an up or down script (-u, -d) can",
        ["virtual_rules"] = "ucarp adds addresses, not rules: an up or down script (-u, -d) can",
        ["track_interface"] = "ucarp follows the link of -i only: a --check can test another interface",
        ["track_file"] = "ucarp tracks no files: a --check can read one",
        ["track_process"] = "ucarp tracks no processes: a --check can (pidof NAME)",
        ["track_bfd"] = "ucarp has no BFD",
        ["notify_fault"] = "ucarp has no FAULT state: a failing --check or a lost link runs the down script (-d)",
        ["notify_stop"] = "ucarp has no stop script: with -z the down script runs at exit",
        ["notify"] = "ucarp runs -u and -d with the interface and the address, not keepalived's TYPE NAME STATE PRIORITY",
        ["smtp_alert"] = NoMail,
        ["notify_priority_changes"] = "ucarp runs no script on a priority change: ucarpctl watch and the metrics show it",
        ["lvs_sync_daemon_interface"] = "ucarp does not drive IPVS's sync daemon",
        ["garp_master_delay"] = "ucarp announces again 5 s after taking over, keepalived's default, not otherwise",
        ["garp_master_repeat"] = Announcements,
        ["garp_master_refresh_repeat"] = Announcements,
        ["garp_lower_prio_delay"] = Announcements,
        ["garp_lower_prio_repeat"] = Announcements,
        ["garp_extra_if"] = Announcements,
        ["vmac_garp_intvl"] = Announcements,
    };

    static readonly Dictionary<string, string> GlobalReasons = new(StringComparer.Ordinal)
    {
        ["notification_email"] = NoMail,
        ["notification_email_from"] = NoMail,
        ["smtp_server"] = NoMail,
        ["smtp_helo_name"] = NoMail,
        ["smtp_connect_timeout"] = NoMail,
        ["smtp_alert"] = NoMail,
        ["smtp_alert_vrrp"] = NoMail,
        ["no_email_faults"] = NoMail,
        ["vrrp_rt_priority"] = "process-wide: give --realtime=PRIORITY on ucarp's command line",
        ["vrrp_no_swap"] = "process-wide: --realtime=PRIORITY on ucarp's command line also locks its memory",
        ["script_user"] = "ucarp runs scripts as its own user",
        ["enable_script_security"] = "ucarp runs scripts as its own user: keep them writable by root only",
        ["enable_snmp_vrrp"] = "ucarp has no SNMP: its metrics (--metrics-file, --metrics-listen) give the state",
        ["enable_snmp_rfc"] = "ucarp has no SNMP: its metrics (--metrics-file, --metrics-listen) give the state",
        ["enable_snmp_rfcv2"] = "ucarp has no SNMP: its metrics (--metrics-file, --metrics-listen) give the state",
        ["enable_snmp_rfcv3"] = "ucarp has no SNMP: its metrics (--metrics-file, --metrics-listen) give the state",
        ["enable_dbus"] = "ucarp has no D-Bus interface: ucarpctl gives the state",
        ["vrrp_notify_fifo"] = "ucarp writes no FIFO: ucarpctl watch prints each change",
        ["notify_fifo"] = "ucarp writes no FIFO: ucarpctl watch prints each change",
        ["vrrp_garp_master_delay"] = "ucarp announces again 5 s after taking over, keepalived's default, not otherwise",
        ["vrrp_garp_master_repeat"] = Announcements,
        ["vrrp_garp_master_refresh_repeat"] = Announcements,
        ["vrrp_garp_interval"] = Announcements,
        ["vrrp_gna_interval"] = Announcements,
    };

    static readonly Dictionary<string, string> TopReasons = new(StringComparer.Ordinal)
    {
        ["virtual_server"] = "ucarp does no load balancing: keep keepalived for IPVS alone (keepalived --check runs its checker without VRRP)",
        ["virtual_server_group"] = "ucarp does no load balancing: keep keepalived for IPVS alone (keepalived --check runs its checker without VRRP)",
        ["static_ipaddress"] = "ucarp leaves an address that does not move to the system's network configuration",
        ["static_routes"] = "ucarp leaves routes to the system's network configuration",
        ["static_rules"] = "ucarp leaves rules to the system's network configuration",
        ["vrrp_track_process"] = "ucarp tracks no processes: a --check can (pidof NAME)",
        ["garp_group"] = Announcements,
    };

    static readonly Dictionary<string, string> SyncReasons = new(StringComparer.Ordinal)
    {
        ["notify_master"] = "a sync set runs each member's own -u: give the script to the members",
        ["notify_backup"] = "a sync set runs each member's own -d: give the script to the members",
        ["notify_fault"] = "ucarp has no FAULT state",
        ["notify_stop"] = "ucarp has no stop script: with -z the down script runs at exit",
        ["notify"] = "ucarp runs -u and -d with the interface and the address, not keepalived's TYPE NAME STATE PRIORITY",
        ["track_script"] = "track it on each member: a member whose --check fails takes its set out",
        ["track_interface"] = "a member whose link is lost takes its set out; other interfaces: a --check on a member",
        ["smtp_alert"] = NoMail,
    };
}
