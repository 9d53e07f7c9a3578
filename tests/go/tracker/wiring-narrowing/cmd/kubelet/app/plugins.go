// Package app mimics cmd/kubelet/app/plugins.go: the kubelet's plugin list, local included.
package app

import (
	clientset "k8s.io/client-go/kubernetes"

	"example.com/wiring-narrowing/pkg/kubelet"
	"example.com/wiring-narrowing/pkg/volume"
	"example.com/wiring-narrowing/pkg/volume/csi"
	"example.com/wiring-narrowing/pkg/volume/local"
)

// ProbeVolumePlugins is the kubelet's plugin list.
func ProbeVolumePlugins() []volume.VolumePlugin {
	allPlugins := []volume.VolumePlugin{}
	allPlugins = append(allPlugins, csi.ProbeVolumePlugins()...)
	allPlugins = append(allPlugins, local.ProbeVolumePlugins()...)
	return allPlugins
}

// RunKubelet builds the kubelet.
func RunKubelet(client clientset.Interface, nodeName string) error {
	_, err := kubelet.NewMainKubelet(client, nodeName, ProbeVolumePlugins())
	return err
}
