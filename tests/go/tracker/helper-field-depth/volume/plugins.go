// Package volume mimics pkg/volume/plugins.go:673-738 (v1.28): FindPluginBySpec and
// FindPluginByName are lookups, but each first refreshes the probed-plugin memo
// (refreshProbedPlugins stores what the prober reports in pm.probedPlugins). The memo's content
// comes from the prober, never from the caller: a lookup is not a hand-off of the caller's data.
package volume

import (
	"fmt"
	"sync"
)

// VolumePlugin is one volume plugin.
type VolumePlugin interface {
	GetPluginName() string
	CanSupport(spec *Spec) bool
}

// Spec is a volume to find a plugin for.
type Spec struct {
	Name   string
	Driver string
}

// ProbeEvent is what a prober reports.
type ProbeEvent struct {
	Plugin     VolumePlugin
	PluginName string
	Remove     bool
}

// DynamicPluginProber finds plugins at run time.
type DynamicPluginProber interface {
	Probe() ([]ProbeEvent, error)
}

// VolumePluginMgr keeps the plugins and a memo of the probed ones.
type VolumePluginMgr struct {
	mutex         sync.RWMutex
	plugins       map[string]VolumePlugin
	probedPlugins map[string]VolumePlugin
	prober        DynamicPluginProber
}

// InitPlugins stores the plugins and the prober.
func (pm *VolumePluginMgr) InitPlugins(plugins []VolumePlugin, prober DynamicPluginProber) error {
	pm.plugins = map[string]VolumePlugin{}
	pm.probedPlugins = map[string]VolumePlugin{}
	pm.prober = prober
	for _, plugin := range plugins {
		pm.plugins[plugin.GetPluginName()] = plugin
	}
	return nil
}

// FindPluginBySpec looks up the plugin for a volume.
func (pm *VolumePluginMgr) FindPluginBySpec(spec *Spec) (VolumePlugin, error) {
	pm.mutex.RLock()
	defer pm.mutex.RUnlock()
	var match VolumePlugin
	for _, v := range pm.plugins {
		if v.CanSupport(spec) {
			match = v
		}
	}
	pm.refreshProbedPlugins()
	for _, plugin := range pm.probedPlugins {
		if plugin.CanSupport(spec) {
			match = plugin
		}
	}
	if match == nil {
		return nil, fmt.Errorf("no volume plugin matched")
	}
	return match, nil
}

// FindPluginByName looks up a plugin by name.
func (pm *VolumePluginMgr) FindPluginByName(name string) (VolumePlugin, error) {
	pm.mutex.RLock()
	defer pm.mutex.RUnlock()
	match := pm.plugins[name]
	pm.refreshProbedPlugins()
	if plugin, found := pm.probedPlugins[name]; found {
		match = plugin
	}
	if match == nil {
		return nil, fmt.Errorf("no volume plugin matched name: %s", name)
	}
	return match, nil
}

func (pm *VolumePluginMgr) refreshProbedPlugins() {
	events, err := pm.prober.Probe()
	if err != nil {
		return
	}
	for _, event := range events {
		if event.Remove {
			delete(pm.probedPlugins, event.PluginName)
			continue
		}
		pm.probedPlugins[event.Plugin.GetPluginName()] = event.Plugin
	}
}
