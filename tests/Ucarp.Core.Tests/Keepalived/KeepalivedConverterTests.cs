using Ucarp.Core.Keepalived;
using static Ucarp.Core.Tests.Keepalived.KeepalivedFakes;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>
/// Each keepalived keyword as it converts: the group line it makes, the comment it leaves,
/// or its "not converted" line; and the exit status that says which.
/// </summary>
public class KeepalivedConverterTests
{
    /// <summary>An instance on eth0 (this host's 192.0.2.1) holding 192.0.2.100, with <paramref name="body"/>.</summary>
    static string Instance(string body, string name = "VI_1", string head = "") =>
        head + "vrrp_instance " + name + " {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.100\n }\n" + body + "\n}\n";

    static string Line(KeepalivedConversion c) => GroupLines(c).Single();

    const string Tail = " --manage-addresses -z";

    [Test]
    public void A_plain_instance_converts_whole_with_status_0()
    {
        KeepalivedConversion c = Convert(Instance(" priority 150\n advert_int 2\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }"));
        Assert.That(Line(c), Is.EqualTo("group VI_1 --vrrp=2 -i eth0 -s 192.0.2.1 -v 51 --priority=150 --advert-int=2 -a 192.0.2.100 --peer=192.0.2.2 --peer=192.0.2.3" + Tail));
        Assert.That((c.ExitStatus, Stderr(c), c.Groups), Is.EqualTo((0, "", 1)));
        Assert.That(c.Text, Does.StartWith("# ucarp.conf(5) groups converted from keepalived.conf by ucarp\n# --from-keepalived"));
    }

    [TestCase("", "", "--vrrp=2")]
    [TestCase("global_defs {\n vrrp_version 3\n}\n", "", "--vrrp=3")]
    [TestCase("global_defs {\n vrrp_version 3\n}\n", " version 2", "--vrrp=2")]
    [TestCase("global_defs {\n vrrp_version 3\n v3_checksum_as_v2\n}\n", "", "--vrrp=3 --vrrp-checksum=rfc")]
    [TestCase("", " version 3\n v3_checksum_as_v2", "--vrrp=3 --vrrp-checksum=rfc")]
    [TestCase("global_defs {\n v3_checksum_as_v2\n}\n", "", "--vrrp=2")]
    public void The_version_and_the_checksum_form_come_from_global_defs_or_the_instance(string head, string body, string options)
    {
        string line = Line(Convert(Instance(body, head: head)));
        Assert.That(line.Replace(" -i eth0 -s 192.0.2.1 -v 51 -a 192.0.2.100", "", StringComparison.Ordinal).Replace(Tail, "", StringComparison.Ordinal),
                    Is.EqualTo("group VI_1 " + options));
    }

    [Test]
    public void Without_a_source_address_the_interface_s_address_here_is_taken_and_said()
    {
        KeepalivedConversion c = Convert(Instance(""));
        Assert.That(Line(c), Does.Contain(" -s 192.0.2.1 "));
        Assert.That(Notes(c), Does.Contain("# - -s 192.0.2.1: eth0's primary address on this host, which keepalived sends"));
        Assert.That(c.ExitStatus, Is.EqualTo(0));
    }

    [Test]
    public void Without_a_source_address_on_this_host_the_group_is_printed_commented_out()
    {
        KeepalivedConversion c = Convert(Instance("", "a").Replace("eth0", "eth7", StringComparison.Ordinal) + Instance("", "b").Replace("51", "52", StringComparison.Ordinal));
        Assert.That(Stderr(c), Is.EqualTo("keepalived.conf:1: not converted: vrrp_instance a: -s: keepalived sends from eth7's primary address, which this host "
                                          + "does not have: give unicast_src_ip or mcast_src_ip, or -s in the group"));
        Assert.That(c.Text, Does.Contain("\n# group a --vrrp=2 -i eth7 -v 51 -a 192.0.2.100 --manage-addresses -z\n"));
        Assert.That(GroupLines(c), Has.Count.EqualTo(1));
        Assert.That((c.ExitStatus, c.Groups, c.GroupsLeftOut), Is.EqualTo((2, 1, 1)));
    }

    [Test]
    public void Addresses_are_a_then_extra_addr_with_prefixes_labels_and_other_devices_handled()
    {
        KeepalivedConversion c = Convert("vrrp_instance v {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n"
            + "  192.0.2.11/24 dev eth0 scope global label eth0:1\n  192.0.2.12/32\n  192.0.2.13 dev eth1\n  192.0.2.14 scope link\n  192.0.2.14\n  2001:db8::1\n }\n}\n");
        Assert.That(Line(c), Does.Contain(" -a 192.0.2.11 --extra-addr=192.0.2.12 --extra-addr=192.0.2.14 "));
        Assert.That(Notes(c), Does.Contain("# - virtual_ipaddress 192.0.2.11/24: added as 192.0.2.11/32, without the /24 subnet's route keepalived adds"));
        Assert.That(Notes(c), Does.Contain("# - virtual_ipaddress 192.0.2.11 label eth0:1: added without the label"));
        Assert.That(Notes(c), Does.Contain("# - virtual_ipaddress 192.0.2.14: listed twice, held once"));
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:7: not converted: virtual_ipaddress 192.0.2.13 dev eth1: a group's addresses go on its interface (-i) only; keepalived peers drop adverts whose address list is not theirs",
            "keepalived.conf:8: not converted: virtual_ipaddress 192.0.2.14 scope link: ucarp adds its addresses with scope global",
            "keepalived.conf:10: not converted: virtual_ipaddress 2001:db8::1: a group's addresses are of one family (keepalived does not advertise it either): give it a group of its own",
        }));
    }

    [Test]
    public void Ipv6_is_version_3_from_the_link_local_address()
    {
        KeepalivedConversion c = Convert("vrrp_instance v6 {\n interface eth0\n native_ipv6\n version 2\n virtual_router_id 5\n advert_int 0.125\n"
                                         + " virtual_ipaddress {\n  2001:db8::100/64\n }\n}\n");
        Assert.That(Line(c), Is.EqualTo("group v6 --vrrp=3 -i eth0 -s fe80::1 -v 5 --advert-int=0.13 -a 2001:db8::100" + Tail));
        Assert.That(Notes(c), Does.Contain("# - IPv6: VRRP version 3, as keepalived speaks it over IPv6"));
        Assert.That(Notes(c), Does.Contain("# - advert_int 0.125: 0.13 s, as keepalived rounds it for version 3"));
    }

    [Test]
    public void State_master_is_a_comment_and_the_owner_starts_as_master_without_one()
    {
        KeepalivedConversion c = Convert(Instance(" state MASTER"));
        Assert.That(Notes(c), Does.Contain("# - state MASTER: the group starts as BACKUP and becomes MASTER when it hears"));
        Assert.That(c.ExitStatus, Is.EqualTo(0));
        Assert.That(Convert(Instance(" state MASTER\n priority 255")).Text, Does.Not.Contain("state MASTER"));
    }

    [TestCase(" nopreempt", "--no-preempt", null)]
    [TestCase(" preempt_delay 2.5", "--preempt-delay=2.5", null)]
    [TestCase(" nopreempt\n preempt_delay 5", "--no-preempt", "preempt_delay: keepalived ignores it with nopreempt")]
    [TestCase(" state MASTER\n nopreempt", "", "nopreempt: keepalived ignores it with state MASTER")]
    [TestCase(" priority 255\n nopreempt", "--priority=255", "nopreempt: keepalived ignores it with priority 255")]
    [TestCase(" garp_master_refresh 30", "--garp-refresh=30", null)]
    [TestCase(" garp_master_refresh 0", "", null)]
    [TestCase(" dont_track_primary", "-S", null)]
    [TestCase(" mcast_src_ip 192.0.2.9\n mcast_dst_ip 224.0.0.99", "-m 224.0.0.99", null)]
    public void Preemption_and_the_other_instance_keywords(string body, string option, string? note)
    {
        KeepalivedConversion c = Convert(Instance(body));
        Assert.That(Line(c), Does.Contain(option));
        Assert.That(c.ExitStatus, Is.EqualTo(0), Stderr(c));
        if (note is not null)
        {
            Assert.That(Notes(c), Does.Contain("# - " + note));
        }
    }

    [TestCase(" authentication {\n  auth_type PASS\n  auth_pass secret\n }", " -p secret ", null)]
    [TestCase(" authentication {\n  auth_type PASS\n  auth_pass 123456789\n }", " -p 12345678 ", "auth_pass: keepalived keeps its first 8 bytes")]
    [TestCase(" version 3\n authentication {\n  auth_type PASS\n  auth_pass secret\n }", " --vrrp=3 ", "authentication: keepalived ignores it with version 3")]
    public void A_pass_authentication_is_p_for_version_2(string body, string option, string? note)
    {
        KeepalivedConversion c = Convert(Instance(body));
        Assert.That(Line(c), Does.Contain(option));
        Assert.That(c.Text.Contains("It holds passwords (-p): keep it mode 600.", StringComparison.Ordinal), Is.EqualTo(option.StartsWith(" -p", StringComparison.Ordinal)));
        if (note is not null)
        {
            Assert.That(Notes(c), Does.Contain("# - " + note));
        }
    }

    [Test]
    public void Ah_authentication_and_other_keywords_are_not_converted()
    {
        KeepalivedConversion c = Convert(Instance(" authentication {\n  auth_type AH\n }\n vmac_xmit_base\n track_interface {\n  eth1\n }\n smtp_alert\n frobnicate 3"));
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:1: not converted: authentication auth_type AH: ucarp has no IPsec AH; the group runs without authentication, which AH peers refuse",
            "keepalived.conf:10: not converted: vmac_xmit_base: --vmac sends the adverts from its child, with the virtual MAC, as keepalived does without vmac_xmit_base",
            "keepalived.conf:11: not converted: track_interface: ucarp follows the link of -i only: a --check can test another interface",
            "keepalived.conf:14: not converted: smtp_alert: ucarp sends no mail: an up or down script can",
            "keepalived.conf:15: not converted: frobnicate: no equivalent in ucarp",
        }));
        Assert.That(c.ExitStatus, Is.EqualTo(2));
        Assert.That(Line(c), Does.Not.Contain(" -p "));
    }

    [TestCase(" use_vmac", " --vmac")]
    [TestCase(" use_vmac gw51", " --vmac-name=gw51")]
    public void Use_vmac_is_vmac_with_its_name(string keyword, string option)
    {
        KeepalivedConversion c = Convert(Instance(keyword));
        Assert.That(c.ExitStatus, Is.EqualTo(0), Stderr(c));
        Assert.That(Line(c), Does.Contain(option));
    }

    [Test]
    public void A_use_vmac_name_the_kernel_would_refuse_is_not_converted()
    {
        KeepalivedConversion c = Convert(Instance(" use_vmac much-too-long-name"));
        Assert.That(Stderr(c), Does.Contain("not converted: --vmac-name must be an interface name of 1 to 15 printable characters"));
        Assert.That(Line(c), Does.Not.Contain("--vmac"));
    }

    [Test]
    public void Use_vmac_beside_unicast_peers_is_not_converted_and_the_rest_of_the_instance_is()
    {
        KeepalivedConversion c = Convert(Instance(" use_vmac\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n }"));
        Assert.That(Stderr(c), Does.Contain("keepalived.conf:7: not converted: use_vmac with unicast_peer: --vmac is refused beside --peer"), Stderr(c));
        Assert.That(Line(c), Does.Contain("--peer=192.0.2.2").Or.Contain("--peer 192.0.2.2"));
        Assert.That(Line(c), Does.Not.Contain("--vmac"));
        Assert.That(c.ExitStatus, Is.EqualTo(2));
    }

    static string Script(string body) => "vrrp_script chk {\n script \"/usr/bin/pgrep -x nginx\"\n" + body + "\n}\n";

    [TestCase("", "", "--check='/usr/bin/pgrep -x nginx' --check-interval=1 --check-fall=1 --check-rise=1")]
    [TestCase(" interval 3\n timeout 2\n fall 4\n rise 5\n weight -30\n init_fail", "",
              "--check='/usr/bin/pgrep -x nginx' --check-interval=3 --check-timeout=2 --check-fall=4 --check-rise=5 --check-weight=30")]
    [TestCase(" weight -30", "weight -10", "--check-weight=10")]
    [TestCase("", "weight 20", "--priority=120 -a 192.0.2.100 --check='/usr/bin/pgrep -x nginx' --check-interval=1 --check-fall=1 --check-rise=1 --check-weight=20")]
    public void A_tracked_script_is_check_with_keepalived_s_defaults_and_weight(string script, string entry, string options)
    {
        KeepalivedConversion c = Convert(Script(script) + Instance(" track_script {\n  chk " + entry + "\n }"));
        Assert.That(Line(c), Does.Contain(options));
        Assert.That(c.ExitStatus, Is.EqualTo(0), Stderr(c));
        Assert.That(c.Text.Contains("counts as failing until it first passes", StringComparison.Ordinal), Is.EqualTo(!script.Contains("init_fail", StringComparison.Ordinal)));
    }

    [Test]
    public void A_positive_weight_raises_the_priority_as_keepalived_does_and_says_so()
    {
        KeepalivedConversion c = Convert(Script(" weight 100") + Instance(" priority 200\n track_script {\n  chk\n }"));
        Assert.That(Line(c), Does.Contain("--priority=254 ").And.Contain("--check-weight=54 "));
        Assert.That(Notes(c), Does.Contain("# - track_script chk weight 100: keepalived advertises 254 while it succeeds and 200 while it fails; so do"));
    }

    [Test]
    public void A_second_script_a_reversed_weight_and_a_missing_script_are_not_converted()
    {
        KeepalivedConversion c = Convert(Script("") + "vrrp_script other {\n script /bin/true\n weight -5 reverse\n}\n"
                                         + Instance(" track_script {\n  other\n  nosuch\n  chk\n  chk weight -2\n }"));
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:7: not converted: weight ... reverse: a --check lowers the priority when it fails, not when it succeeds",
            "keepalived.conf:17: not converted: track_script nosuch: no vrrp_script of that name",
            "keepalived.conf:19: not converted: track_script chk: a group takes one --check, the first script's",
        }));
        Assert.That(Line(c), Does.Contain("--check='/usr/bin/pgrep -x nginx'"));
    }

    [Test]
    public void Notify_scripts_are_u_and_d_when_they_take_no_arguments()
    {
        KeepalivedConversion c = Convert(Instance(" notify_master /etc/keepalived/up.sh\n notify_backup \"/etc/keepalived/down.sh\""));
        Assert.That(Line(c), Does.Contain(" -u /etc/keepalived/up.sh -d /etc/keepalived/down.sh "));
        Assert.That(Notes(c), Does.Contain("# - notify_master: ucarp runs it (-u) with the interface and the address as"));
        c = Convert(Instance(" notify_master \"/usr/local/bin/vrrp.sh MASTER VI_1\"\n notify_backup /x.sh root\n notify_fault /f.sh"));
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:7: not converted: notify_master [/usr/local/bin/vrrp.sh MASTER VI_1]: ucarp runs -u as a program with the interface and the address as its arguments: put the command in a script and give its path",
            "keepalived.conf:8: not converted: notify_backup ... root: ucarp runs scripts as its own user",
            "keepalived.conf:9: not converted: notify_fault: ucarp has no FAULT state: a failing --check or a lost link runs the down script (-d)",
        }));
    }

    [Test]
    public void A_sync_group_is_sync_on_each_member()
    {
        KeepalivedConversion c = Convert("vrrp_sync_group G1 {\n group {\n  a b\n  ghost\n }\n notify_master /x.sh\n}\n"
                                         + Instance("", "a") + Instance("", "b").Replace("51", "52", StringComparison.Ordinal).Replace(".100", ".101", StringComparison.Ordinal));
        Assert.That(GroupLines(c).Select(l => l.Contains(" --sync=G1 ", StringComparison.Ordinal)), Is.EqualTo(new[] { true, true }));
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:4: not converted: group ghost: no vrrp_instance of that name",
            "keepalived.conf:6: not converted: notify_master: a sync set runs each member's own -u: give the script to the members",
        }));
    }

    [Test]
    public void Names_ucarp_cannot_take_are_changed_and_said()
    {
        KeepalivedConversion c = Convert(Instance("", "\"web gateway\"") + Instance("", "web_gateway").Replace("51", "52", StringComparison.Ordinal).Replace(".100", ".101", StringComparison.Ordinal));
        Assert.That(GroupLines(c).Select(l => l.Split(' ')[1]), Is.EqualTo(new[] { "web_gateway", "web_gateway-2" }));
        Assert.That(Notes(c), Does.Contain("# - keepalived's vrrp_instance [web_gateway] is [web_gateway-2] here"));
    }

    [Test]
    public void A_group_the_reader_refuses_is_left_out_with_its_reason_at_keepalived_s_line()
    {
        KeepalivedConversion c = Convert(Instance("", "a") + Instance("", "b").Replace(".100", ".101", StringComparison.Ordinal));
        Assert.That(Stderr(c), Is.EqualTo("keepalived.conf:9: not converted: vrrp_instance b: ucarp refuses the group: vhid 51 on eth0 (224.0.0.18) is already used by group [a] (keepalived.conf:1)"));
        Assert.That((c.Groups, c.GroupsLeftOut, c.ExitStatus), Is.EqualTo((1, 1, 2)));
    }

    [Test]
    public void What_is_not_vrrp_is_not_converted_and_a_file_without_an_instance_prints_nothing()
    {
        KeepalivedConversion c = Convert("global_defs {\n router_id x\n notification_email {\n  a@b\n }\n}\nvirtual_server 192.0.2.1 80 {\n delay_loop 6\n}\n");
        Assert.That(Stderr(c).Split('\n'), Is.EqualTo(new[]
        {
            "keepalived.conf:3: not converted: notification_email: ucarp sends no mail: an up or down script can",
            "keepalived.conf:7: not converted: virtual_server: ucarp does no load balancing: keep keepalived for IPVS alone (keepalived --check runs its checker without VRRP)",
            "keepalived.conf: no vrrp_instance to convert: nothing is printed",
        }));
        Assert.That((c.Text, c.ExitStatus), Is.EqualTo(("", 1)));
    }

    [Test]
    public void A_file_that_cannot_be_parsed_prints_nothing_with_status_1()
    {
        KeepalivedConversion c = Convert(Instance("") + "}\n");
        Assert.That((c.Text, Stderr(c), c.ExitStatus), Is.EqualTo(("", "keepalived.conf:9: '}' without a block to close", 1)));
    }

    [Test]
    public void A_value_that_needs_quotes_is_quoted_for_ucarp_conf()
    {
        Assert.That(KeepalivedOutput.Quote("/bin/x"), Is.EqualTo("/bin/x"));
        Assert.That(KeepalivedOutput.Quote("a b"), Is.EqualTo("'a b'"));
        Assert.That(KeepalivedOutput.Quote("#x"), Is.EqualTo("'#x'"));
        Assert.That(KeepalivedOutput.Quote("it's"), Is.EqualTo("'it'\\''s'"));
        Assert.That(KeepalivedOutput.Quote(""), Is.EqualTo("''"));
        KeepalivedConversion c = Convert(Instance(" authentication {\n  auth_type PASS\n  auth_pass \"p#ss w'd\"\n }"));
        Ucarp.Core.Config.ConfigReadResult read = Ucarp.Core.Config.ConfigReader.Read(c.Text, _ => default);
        Assert.That(read.Groups.Single().Settings.Password, Is.EqualTo("p#ss w'd"));
    }
}
