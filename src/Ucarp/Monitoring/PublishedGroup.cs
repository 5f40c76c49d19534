using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Linux;

namespace Ucarp.Monitoring;

/// <summary>
/// One running group as monitoring sees it. <see cref="Machine"/> is the group's election
/// as the daemon gates it (Eligible includes ucarpctl demote and the sync set).
/// </summary>
internal sealed record PublishedGroup(string Name, Configuration Settings, IElection Machine, ScriptRunner Scripts,
                                      HealthCheckRunner? Health);
