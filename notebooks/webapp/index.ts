import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const sshCidr = config.get("sshCidr") ?? "10.0.0.0/16";

// The newest Amazon Linux 2023 image for x86_64.
const ami = aws.ec2.getAmiOutput({
    mostRecent: true,
    owners: ["amazon"],
    filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
});

const webSg = new aws.ec2.SecurityGroup("web-sg", {
    description: "HTTP from anywhere, SSH from the office network",
    ingress: [
        { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
        { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [sshCidr] },
    ],
    egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
});

const assets = new aws.s3.BucketV2("assets", {
    forceDestroy: false,
    tags: { Project: "webapp", Stack: pulumi.getStack() },
});

const webServer = new aws.ec2.Instance("web-server", {
    ami: ami.id,
    instanceType: "t3.xlarge",
    vpcSecurityGroupIds: [webSg.id],
    userData: `#!/bin/bash
echo "Hello from $(hostname)" > /var/www/html/index.html
nohup python3 -m http.server 80 --directory /var/www/html &`,
    tags: { Name: "web-server", Project: "webapp" },
});

export const bucketName = assets.bucket;
export const publicIp = webServer.publicIp;
export const url = pulumi.interpolate`http://${webServer.publicDns}`;
