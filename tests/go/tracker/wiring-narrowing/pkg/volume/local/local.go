// Package local is a plugin only the kubelet's plugin list holds (as pkg/volume/local is in
// cmd/kubelet/app/plugins.go but not in the controller manager's attachable list): its Attach
// labels the node.
package local

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"example.com/wiring-narrowing/pkg/volume"
)

type localVolumePlugin struct {
	host volume.VolumeHost
}

// ProbeVolumePlugins returns the local plugin.
func ProbeVolumePlugins() []volume.VolumePlugin {
	return []volume.VolumePlugin{&localVolumePlugin{}}
}

func (p *localVolumePlugin) Init(host volume.VolumeHost) error {
	p.host = host
	return nil
}

func (p *localVolumePlugin) GetPluginName() string {
	return "kubernetes.io/local-volume"
}

func (p *localVolumePlugin) Attach(ctx context.Context, spec *volume.Spec, nodeName string) error {
	patch := []byte(`{"metadata":{"labels":{"local-volume/` + spec.Name + `":"attached"}}}`)
	_, err := p.host.GetKubeClient().CoreV1().Nodes().Patch(ctx, nodeName, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
