"""Entry point of the component provider (PulumiPlugin.yaml): `pulumi package add <this repo>`."""

from patching_components.provider import main

if __name__ == "__main__":
    main()
