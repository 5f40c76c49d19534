namespace Ucarp.Core.Carp;

/// <summary>carp_softc.sc_state.</summary>
public enum CarpState
{
    Init = 0,
    Backup = 1,
    Master = 2,
}
