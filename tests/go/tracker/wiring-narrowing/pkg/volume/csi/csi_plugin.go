// Package csi mimics pkg/volume/csi (v1.28): Attach creates a VolumeAttachment
// (csi_attacher.go:120); on a kubelet host only (the type assertion of csi_plugin.go:258) it
// also updates the node's CSINode object.
package csi

import (
	"context"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"example.com/wiring-narrowing/pkg/volume"
)

type csiPlugin struct {
	host volume.VolumeHost
}

// ProbeVolumePlugins returns the CSI plugin.
func ProbeVolumePlugins() []volume.VolumePlugin {
	return []volume.VolumePlugin{&csiPlugin{}}
}

func (p *csiPlugin) Init(host volume.VolumeHost) error {
	p.host = host
	return nil
}

func (p *csiPlugin) GetPluginName() string {
	return "kubernetes.io/csi"
}

func (p *csiPlugin) Attach(ctx context.Context, spec *volume.Spec, nodeName string) error {
	if kvh, ok := p.host.(volume.KubeletVolumeHost); ok {
		csiNode := &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: kvh.GetNodeName()}}
		csiNode.Spec.Drivers = append(csiNode.Spec.Drivers, storagev1.CSINodeDriver{Name: spec.Driver, NodeID: nodeName})
		if _, err := kvh.GetKubeClient().StorageV1().CSINodes().Update(ctx, csiNode, metav1.UpdateOptions{}); err != nil {
			kvh.SetKubeletError(err)
		}
	}
	va := &storagev1.VolumeAttachment{
		ObjectMeta: metav1.ObjectMeta{Name: spec.Name + "-" + nodeName},
		Spec:       storagev1.VolumeAttachmentSpec{Attacher: spec.Driver, NodeName: nodeName},
	}
	_, err := p.host.GetKubeClient().StorageV1().VolumeAttachments().Create(ctx, va, metav1.CreateOptions{})
	return err
}
