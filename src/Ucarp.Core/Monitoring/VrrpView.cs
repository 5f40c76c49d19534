namespace Ucarp.Core.Monitoring;

/// <summary>
/// A VRRP group's side, as monitoring shows it: its version, its configured priority,
/// the one it advertises now (lowered by a failing check's weight) and the master's
/// (null while no master is known).
/// </summary>
public readonly record struct VrrpView(byte Version, byte Priority, byte PriorityInUse, byte? MasterPriority);
