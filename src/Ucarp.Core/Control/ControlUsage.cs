namespace Ucarp.Core.Control;

/// <summary>ucarpctl's usage text (its man page is man/ucarpctl.8).</summary>
public static class ControlUsage
{
    public const string Text =
        "Usage: ucarpctl [--control=PATH] COMMAND [ARGS]\n" +
        "\n" +
        "Commands (sent to the ucarp daemon over its control socket):\n" +
        "  status [GROUP] [--json]  one line per group, or GROUP's alone (or a JSON document)\n" +
        "  demote GROUP|--all       take groups out of the election until promoted\n" +
        "    [--wait]               and answer once they have let their addresses go\n" +
        "  promote GROUP|--all      let demoted groups take part again\n" +
        "  reload                   read the daemon's --config file again\n" +
        "  version                  the daemon's version\n" +
        "  watch                    every group's state, then a line per change, until interrupted\n" +
        "Every command takes --json: status's document, else {\"exit\":N,\"lines\":[...]}.\n" +
        "\n" +
        "Options:\n" +
        "  --control=PATH           the daemon's socket (default " + Config.DaemonOptions.DefaultControlSocket + ")\n" +
        "  -V, --version            ucarpctl's version, then the daemon's when one answers\n" +
        "  -h, --help               this text\n" +
        "\n" +
        "Exit status: the daemon's (0 done, 1 refused or failed); 1 when no daemon answers;\n" +
        "2 for a bad command line.\n";
}
