// Package app mimics cmd/kube-controller-manager/app (plugins.go ProbeAttachableVolumePlugins,
// core.go:292-310 startAttachDetachController): the attachable plugin list of the controller
// manager, handed to the attach/detach controller.
package app

import (
	"context"

	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"

	"example.com/wiring-narrowing/pkg/controller/attachdetach"
	"example.com/wiring-narrowing/pkg/volume"
	"example.com/wiring-narrowing/pkg/volume/csi"
)

// ProbeAttachableVolumePlugins is the controller manager's plugin list.
func ProbeAttachableVolumePlugins() []volume.VolumePlugin {
	allPlugins := []volume.VolumePlugin{}
	allPlugins = append(allPlugins, csi.ProbeVolumePlugins()...)
	return allPlugins
}

func startAttachDetachController(ctx context.Context, client clientset.Interface, podInformer coreinformers.PodInformer) error {
	adc, err := attachdetach.NewAttachDetachController(client, podInformer, ProbeAttachableVolumePlugins())
	if err != nil {
		return err
	}
	go adc.Run(ctx)
	return nil
}
