/// ISO 15118-3:2015 signal level attenuation characterization (SLAC): the HomePlug Green PHY management messages
/// (ethertype 0x88E1) by which the charger and a vehicle find out that they share a control pilot line, and the EVSE's
/// side of that matching with the standard's timers. Pure: frames in, frames and decisions out; the raw Ethernet
/// socket on the powerline modem's interface is Transport's.
public enum SLAC {}
