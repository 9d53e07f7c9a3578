// Package volume mimics pkg/volume/plugins.go (v1.28): the plugin interface, the host interfaces
// (VolumeHost for every host, KubeletVolumeHost only for the kubelet's, plugins.go:321-336) and
// the plugin manager each binary fills with its own plugin list.
package volume

import (
	"context"
	"fmt"

	clientset "k8s.io/client-go/kubernetes"
)

// Spec is a volume to attach.
type Spec struct {
	Name   string
	Driver string
}

// VolumeHost is what every plugin host offers.
type VolumeHost interface {
	GetKubeClient() clientset.Interface
}

// KubeletVolumeHost is offered only by the kubelet.
type KubeletVolumeHost interface {
	VolumeHost
	SetKubeletError(err error)
	GetNodeName() string
}

// VolumePlugin is a volume plugin that can attach.
type VolumePlugin interface {
	Init(host VolumeHost) error
	GetPluginName() string
	Attach(ctx context.Context, spec *Spec, nodeName string) error
}

// VolumePluginMgr holds one binary's plugins.
type VolumePluginMgr struct {
	plugins map[string]VolumePlugin
	Host    VolumeHost
}

// InitPlugins initializes the plugins with the host.
func (pm *VolumePluginMgr) InitPlugins(plugins []VolumePlugin, host VolumeHost) error {
	pm.Host = host
	pm.plugins = map[string]VolumePlugin{}
	for _, plugin := range plugins {
		if err := plugin.Init(host); err != nil {
			return err
		}
		pm.plugins[plugin.GetPluginName()] = plugin
	}
	return nil
}

// FindPluginByName returns a plugin by name.
func (pm *VolumePluginMgr) FindPluginByName(name string) (VolumePlugin, error) {
	if plugin, ok := pm.plugins[name]; ok {
		return plugin, nil
	}
	return nil, fmt.Errorf("no volume plugin matched name: %s", name)
}
