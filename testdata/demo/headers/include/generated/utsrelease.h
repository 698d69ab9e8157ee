#define UTS_RELEASE "7.2.13+deb14-amd64"
