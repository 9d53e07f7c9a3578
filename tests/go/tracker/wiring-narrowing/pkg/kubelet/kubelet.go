// Package kubelet is the other binary's host: a KubeletVolumeHost with its own plugin list.
package kubelet

import (
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"example.com/wiring-narrowing/pkg/volume"
)

// Kubelet is the node agent.
type Kubelet struct {
	kubeClient      clientset.Interface
	nodeName        string
	volumePluginMgr volume.VolumePluginMgr
}

// NewMainKubelet builds the kubelet with the plugins it is given.
func NewMainKubelet(kubeClient clientset.Interface, nodeName string, plugins []volume.VolumePlugin) (*Kubelet, error) {
	kl := &Kubelet{kubeClient: kubeClient, nodeName: nodeName}
	if err := kl.volumePluginMgr.InitPlugins(plugins, kl); err != nil {
		return nil, err
	}
	return kl, nil
}

// GetKubeClient, SetKubeletError and GetNodeName make the kubelet a KubeletVolumeHost.
func (kl *Kubelet) GetKubeClient() clientset.Interface {
	return kl.kubeClient
}

func (kl *Kubelet) SetKubeletError(err error) {
	klog.ErrorS(err, "volume plugin error")
}

func (kl *Kubelet) GetNodeName() string {
	return kl.nodeName
}
